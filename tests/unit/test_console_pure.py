"""The console's pure parts: the pushes chart and the cookie signer."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from services.console.chart import hours, pushes_svg
from services.console.sessions import Signer

NOW = datetime(2026, 12, 1, 22, 40, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_has_24_hourly_slots_ending_with_the_current_hour():
    slots = hours(NOW)
    assert len(slots) == 24 and slots[-1] == datetime(2026, 12, 1, 22, tzinfo=UTC)
    assert slots[0] == slots[-1] - timedelta(hours=23)


def test_bars_stack_by_outcome_and_say_what_they_count():
    hour = datetime(2026, 12, 1, 21, tzinfo=UTC)
    svg = ET.fromstring(pushes_svg({(hour, "success"): 6, (hour, "failed"): 2,
                                    (hour - timedelta(days=2), "failed"): 9}, NOW))
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert "21:00 UTC: 6 success" in titles and "21:00 UTC: 2 failed" in titles
    assert "success 6, failed 2, timed out 0, pending 0, sending 0" in titles[0]  # older pushes left out
    bars = {r.find(f"{SVG}title").text: float(r.get("height")) for r in svg.iter(f"{SVG}rect")
            if r.find(f"{SVG}title") is not None}
    assert bars["21:00 UTC: 6 success"] == 3 * bars["21:00 UTC: 2 failed"]


def test_an_empty_day_draws_no_bars():
    svg = ET.fromstring(pushes_svg({}, NOW))
    assert all(r.find(f"{SVG}title") is None for r in svg.iter(f"{SVG}rect"))


def test_signed_values_come_back_only_untouched_and_under_the_same_secret():
    signer = Signer("secret-one")
    signed = signer.sign("session-123")
    assert signer.unsign(signed) == "session-123"
    assert signer.unsign(signed.replace("123", "124")) is None
    assert Signer("secret-two").unsign(signed) is None
    assert signer.unsign(None) is None and signer.unsign("") is None and signer.unsign("no-mac") is None
    assert signer.login_token("n1") != signer.login_token("n2")
