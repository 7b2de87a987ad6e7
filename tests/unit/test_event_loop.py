"""Every command runs on the loop ``LEDGERSYNC_EVENT_LOOP`` names: uvloop by default, asyncio's
own when asked for, and asyncio's own (with a warning) where uvloop is not installed."""
from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

import structlog

from services.core.event_loop import run_on_loop, tune_gc
from services.core.settings import Settings


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def _run(loop: str) -> str:
    """The kind of loop ``run_on_loop`` ran on, run in a thread of its own (a loop run here
    would end this thread's loop, which the async tests share)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(run_on_loop, _loop_module(), loop).result()


def test_the_default_loop_is_uvloop():
    assert Settings().event_loop == "uvloop"
    assert _run("uvloop").startswith("uvloop")


def test_asyncio_when_asked_for():
    assert _run("asyncio").startswith("asyncio")


def test_asyncio_with_a_warning_where_uvloop_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    with structlog.testing.capture_logs() as logs:
        assert _run("uvloop").startswith("asyncio")
    assert [entry["event"] for entry in logs] == ["event_loop.uvloop_missing"]


def test_the_collector_is_paced_by_the_setting_and_left_alone_at_zero():
    import gc

    before = gc.get_threshold()
    try:
        tune_gc(0)
        assert gc.get_threshold() == before
        tune_gc(50_000)
        assert gc.get_threshold() == (50_000, before[1], before[2])
        assert gc.get_freeze_count() > 0  # what lives at start-up is left out of later collections
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert Settings().gc_threshold == 50_000
