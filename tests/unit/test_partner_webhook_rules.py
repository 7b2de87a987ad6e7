"""Partner webhooks' pure rules: the signature (the worked example), the retry schedule,
which targets may be called, and what an outbox event becomes."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from contracts.api.partner_webhooks import WebhookSubscriptionCreate, check_event_types
from contracts.events import make_event
from services.partner_webhooks import catalog, policy, signing
from services.partner_webhooks.sender import SenderSettings, settle
from services.partner_webhooks.transport import Answer

SECRET = "whsec_ledgersync-test-secret"
BODY = (b'{"id":"0a1b2c3d-0000-4000-8000-000000000001","created_at":"2023-11-14T22:13:20+00:00",'
        b'"action":"accounting_connection.connected","api_version":"2024-05-25","description":'
        b'"accounting_connection connected","entity_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6",'
        b'"object":{"id":"cd16c05b-bd05-45c8-822c-a5aa4a6b1e78"},"object_type":"accounting_connection",'
        b'"webhook_subscription_id":"7e209570-afd5-4078-ac33-b8e7409fa790"}')


def test_signature_matches_the_worked_example_and_the_key_includes_the_prefix():
    assert len(BODY) == 413
    assert signing.signature(SECRET, 1700000000, BODY) == (
        "t=1700000000,v1=4b012874fac1659df480665c79ee18adda29bf675285bc05c9757436696b0add")
    assert signing.signature("ledgersync-test-secret", 1700000000, BODY).endswith(
        "45cf103c7f11579dcbe2f3cb00706b3fa8e177318c0c6b79b8c2e695f8e884cc")


@pytest.mark.parametrize("header,body,now,ok", [
    ("t=1700000000,v1=4b012874fac1659df480665c79ee18adda29bf675285bc05c9757436696b0add", BODY, 1700000100, True),
    ("t=1700000000,v1=4b012874fac1659df480665c79ee18adda29bf675285bc05c9757436696b0add", BODY + b" ", 1700000000, False),
    ("t=1700000000,v1=4b012874fac1659df480665c79ee18adda29bf675285bc05c9757436696b0add", BODY, 1700000301, False),
    ("v1=4b012874fac1659df480665c79ee18adda29bf675285bc05c9757436696b0add", BODY, 1700000000, False),
    ("t=abc,v1=00", BODY, 1700000000, False),
])
def test_verify_recomputes_and_checks_the_timestamp(header, body, now, ok):
    assert signing.verify(SECRET, header, body, now) is ok


def test_secrets_are_new_each_time_and_look_like_monites():
    one, two = signing.new_secret(), signing.new_secret()
    assert one != two and one.startswith("whsec_") and len(one) > 40


def test_backoff_doubles_up_to_the_cap_with_jitter():
    rng = random.Random(3)
    for attempt, full in [(1, 10), (2, 20), (5, 160), (12, 3600), (30, 3600)]:
        values = [policy.backoff_s(attempt, 10, 3600, rng) for _ in range(100)]
        assert full / 2 <= min(values) and max(values) <= full
        assert len(set(values)) > 50


def test_a_day_of_retries_then_failed():
    cfg = SenderSettings()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    give_up = now + timedelta(hours=24)
    down = Answer(503, "busy", 0.1)
    assert settle(Answer(204, "", 0.1), 1, give_up, now, cfg) == ("delivered", None)
    outcome, due = settle(down, 1, give_up, now, cfg)
    assert outcome == "retrying" and now + timedelta(seconds=5) <= due <= now + timedelta(seconds=10)
    assert settle(down, 40, give_up, give_up - timedelta(minutes=20), cfg) == ("failed", None)
    assert settle(Answer(None, "timed out", 10), 3, give_up, now, cfg)[0] == "retrying"
    assert settle(Answer(302, "redirect", 0.1), 1, give_up, now, cfg)[0] == "retrying"


@pytest.mark.parametrize("url,allow_private,problem", [
    ("https://hooks.example.com/monite", False, None),
    ("http://hooks.example.com/monite", False, "must use HTTPS"),
    ("http://127.0.0.1:9000/hook", True, None),
    ("https://127.0.0.1/hook", False, "private"),
    ("https://10.1.2.3/hook", False, "private"),
    ("https://169.254.169.254/latest/meta-data", False, "private"),
    ("https://[::1]/hook", False, "private"),
    ("https://[::ffff:192.168.0.1]/hook", False, "private"),
    ("https://localhost/hook", False, "localhost"),
    ("https://localhost./hook", False, "localhost"),
    ("https://8.8.8.8/hook", False, None),
    ("ftp://hooks.example.com/", True, "absolute http(s)"),
    ("/relative", True, "absolute http(s)"),
])
def test_which_targets_may_be_called(url, allow_private, problem):
    found = policy.url_problem(url, allow_private)
    assert (found is None) if problem is None else (problem in found)


def test_event_types_belong_to_the_object_type():
    assert check_event_types("accounting_connection", []) == []
    assert check_event_types("accounting_synced_record", ["done", "done"]) == ["done"]
    with pytest.raises(ValueError, match="pending_auth, connected, disconnected, deauthorized"):
        check_event_types("accounting_connection", ["done"])
    with pytest.raises(ValueError, match="accounting_connection"):
        WebhookSubscriptionCreate(object_type="entity", url="https://x.example/")


def test_an_outbox_event_becomes_monites_body():
    connection_id, entity_id = "cd16c05b-bd05-45c8-822c-a5aa4a6b1e78", "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    event = make_event("accounting_connection.status_changed", {
        "id": connection_id, "created_at": now.isoformat(), "updated_at": now.isoformat(),
        "connection_url": "https://link", "status": "connected", "platform": "xero",
        "previous_status": "pending_auth"}, entity_id=entity_id, id="0a1b2c3d-0000-4000-8000-000000000001",
        time=now)
    found = catalog.partner_event(event)
    assert (found.action, found.object_id, found.created_at) == (
        "accounting_connection.connected", connection_id, now)
    assert "previous_status" not in found.object and found.object["status"] == "connected"
    row = {"id": found.id, "created_at": found.created_at, "action": found.action,
           "description": found.description, "entity_id": entity_id, "object": found.object,
           "object_id": found.object_id, "object_type": found.object_type}
    raw = catalog.body(row, {"id": "7e209570-afd5-4078-ac33-b8e7409fa790", "api_version": "2024-05-25"})
    assert raw.startswith(b'{"id":"0a1b2c3d-0000-4000-8000-000000000001","created_at":"2026-12-01T10:00:00Z"')
    assert b'"webhook_subscription_id":"7e209570-afd5-4078-ac33-b8e7409fa790"' in raw
    assert b'"object_id":"cd16c05b-bd05-45c8-822c-a5aa4a6b1e78"' in raw and b'"api_version":"2024-05-25"' in raw
