"""Run a coroutine to completion from synchronous test code, even where an event loop is
already running in this thread (Playwright's sync API keeps one)."""
from __future__ import annotations

import asyncio
import concurrent.futures


def run(coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
