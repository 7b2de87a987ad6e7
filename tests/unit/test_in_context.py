"""An event of a batch runs in a context of its own without a task of its own
(``inbox._InContext``): what it binds stays in its context, whatever it awaits, and what it
raises (or what is thrown into the task, a cancellation) reaches it as it would in a task."""
from __future__ import annotations

import asyncio
import contextvars

import pytest

from services.push_worker.inbox import _InContext

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="batch")


async def _event(name: str, seen: list) -> str:
    WHO.set(name)
    await asyncio.sleep(0)
    await asyncio.sleep(0.001)  # a real wait: the loop runs others meanwhile
    seen.append((name, WHO.get(), asyncio.current_task()))
    return f"{name} done"


async def test_each_event_keeps_its_own_context_in_the_batchs_task():
    seen: list = []
    contexts = [contextvars.copy_context() for _ in range(3)]
    results = [await _InContext(c, _event(f"e{i}", seen)) for i, c in enumerate(contexts)]
    assert results == ["e0 done", "e1 done", "e2 done"]
    assert [(name, who) for name, who, _ in seen] == [("e0", "e0"), ("e1", "e1"), ("e2", "e2")]
    assert {task for _, _, task in seen} == {asyncio.current_task()}  # no task of its own
    assert WHO.get() == "batch" and [c[WHO] for c in contexts] == ["e0", "e1", "e2"]


async def test_what_the_event_raises_reaches_the_batch():
    async def failing():
        await asyncio.sleep(0)
        raise LookupError("bad event")

    with pytest.raises(LookupError, match="bad event"):
        await _InContext(contextvars.copy_context(), failing())


async def test_a_cancellation_reaches_the_event_which_may_clean_up():
    cleaned = asyncio.Event()

    async def waiting():
        WHO.set("waiting")
        try:
            await asyncio.sleep(30)
        finally:
            assert WHO.get() == "waiting"  # still in its own context
            cleaned.set()

    async def batch():
        await _InContext(contextvars.copy_context(), waiting())

    task = asyncio.create_task(batch())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned.is_set()
