"""Every command runs on the loop ``LEDGERSYNC_EVENT_LOOP`` names: uvloop by default, asyncio's
own when asked for, and asyncio's own (with a warning) where uvloop is not installed."""
from __future__ import annotations

import asyncio
import sys

import structlog

from services.core.event_loop import run_on_loop
from services.core.settings import Settings


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_the_default_loop_is_uvloop():
    assert Settings().event_loop == "uvloop"
    assert run_on_loop(_loop_module(), "uvloop").startswith("uvloop")


def test_asyncio_when_asked_for():
    assert run_on_loop(_loop_module(), "asyncio").startswith("asyncio")


def test_asyncio_with_a_warning_where_uvloop_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    with structlog.testing.capture_logs() as logs:
        assert run_on_loop(_loop_module(), "uvloop").startswith("asyncio")
    assert [entry["event"] for entry in logs] == ["event_loop.uvloop_missing"]
