"""Timestamps as Codat writes them: ISO-8601 UTC with milliseconds and a ``Z``."""
from __future__ import annotations

import time
from datetime import UTC, datetime

_last: tuple[int, str] = (-1, "")  # the millisecond now_iso last wrote, and what it wrote


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    """``iso(now())``, written once per millisecond (a push writes the time several times
    within one): the same clock, the same milliseconds (both truncate)."""
    global _last
    ms = time.time_ns() // 1_000_000
    if ms != _last[0]:
        seconds, millis = divmod(ms, 1000)
        _last = (ms, iso(datetime.fromtimestamp(seconds, UTC).replace(microsecond=millis * 1000)))
    return _last[1]


def parse(text: str) -> datetime | None:
    """An ISO date or date-time (zoned or not; unzoned read as UTC), or None."""
    try:
        moment = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
