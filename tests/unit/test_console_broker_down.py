"""The console's overview says so when the broker cannot be reached, rather than failing."""
from __future__ import annotations

from services.console.queue_states import QUEUE_NAMES, queue_states
from services.core.settings import Settings


async def test_an_unreachable_broker_is_shown_as_such_for_every_queue():
    states = await queue_states(Settings(amqp_url="amqp://guest:guest@127.0.0.1:1/"))
    assert [s["queue"] for s in states] == list(QUEUE_NAMES)
    assert {s["state"] for s in states} == {"broker unreachable"}
    assert all(s["consumers"] is None and s["dead"] is None for s in states)
