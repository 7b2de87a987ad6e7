"""The event loop a command runs on (``LEDGERSYNC_EVENT_LOOP``): uvloop by default, Python's own
asyncio loop when asked for or when uvloop is not installed (it does not build on Windows); and
the garbage collector's pace (``LEDGERSYNC_GC_THRESHOLD``)."""
from __future__ import annotations

import asyncio
import gc
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


def tune_gc(first_generation: int) -> None:
    """Collect the youngest generation every ``first_generation`` allocations instead of every 700,
    and leave what is alive at start-up (the imported modules) out of later collections: a service
    allocates and frees many short-lived objects per message, and the default pace spent ~5% of
    the pipeline's CPU collecting (bench pipeline). 0 changes nothing."""
    if first_generation <= 0:
        return
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(first_generation, second, third)
