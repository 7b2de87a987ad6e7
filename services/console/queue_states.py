"""What the broker says about each work queue and its dead letters (depth, consumers)."""
from __future__ import annotations

import asyncio
import contextlib

import aio_pika
import structlog

from services.core import topology
from services.core.settings import Settings

log = structlog.get_logger(__name__)
QUEUE_NAMES = tuple(q.name for q in topology.QUEUES)


async def _declared(channel, name: str) -> tuple[int, int]:
    queue = await channel.declare_queue(name, passive=True)
    result = queue.declaration_result
    return result.message_count, result.consumer_count


async def queue_states(settings: Settings) -> list[dict]:
    """Per work queue: ready messages, consumers subscribed, dead letters; None where unknown.
    A short connection of its own (as `ledgersync dlq` does): the api holds no broker channel."""
    states = [{"queue": name, "ready": None, "consumers": None, "dead": None, "state": "unknown"}
              for name in QUEUE_NAMES]
    try:
        connection = await asyncio.wait_for(aio_pika.connect(settings.amqp_url), 5)
    except Exception as exc:  # noqa: BLE001 - the page says the broker cannot be reached
        log.warning("console.broker_unreachable", error=str(exc))
        return [{**s, "state": "broker unreachable"} for s in states]
    try:
        for state in states:
            with contextlib.suppress(Exception):  # a queue missing closes its channel: one each
                async with connection.channel() as channel:
                    state["ready"], state["consumers"] = await _declared(channel, state["queue"])
                    state["dead"], _ = await _declared(channel, topology.dead_letter_queue(state["queue"]))
                state["state"] = "consuming" if state["consumers"] else "no consumer"
    finally:
        with contextlib.suppress(Exception):
            await connection.close()
    return states
