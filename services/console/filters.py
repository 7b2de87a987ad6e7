"""Jinja filters of the console: times in UTC, ages, JSON bodies, labels."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import jinja2


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def ago(value: datetime | None) -> str:
    if value is None:
        return "—"
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{max(seconds, 0)} s ago"


def pretty(value: object) -> str:
    if isinstance(value, (bytes, str)):
        try:
            value = json.loads(value)
        except ValueError:
            return value if isinstance(value, str) else value.decode(errors="replace")
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def label(value: object) -> str:
    return str(value or "").replace("_", " ")


def install(env: jinja2.Environment) -> None:
    env.filters.update(when=when, ago=ago, pretty=pretty, label=label)
