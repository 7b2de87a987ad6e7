"""The event loop a command runs on (``LEDGERSYNC_EVENT_LOOP``): uvloop by default, Python's own
asyncio loop when asked for or when uvloop is not installed (it does not build on Windows)."""
from __future__ import annotations

import asyncio
from collections.abc import Coroutine

import structlog

log = structlog.get_logger(__name__)


def run_on_loop(main: Coroutine, loop: str):
    """Run ``main`` to its end on a new loop of the kind ``loop`` names; returns its result."""
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("event_loop.uvloop_missing", note="running on asyncio's own loop")
        else:
            return uvloop.run(main)
    return asyncio.run(main)
