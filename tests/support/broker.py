"""Reading what ended in a dead-letter queue, from outside."""
from __future__ import annotations

import aio_pika

from tests.support import client, syncrun

DLQ = "ledgersync.push-worker.dlq"


async def _drain(amqp_url: str, queue: str) -> list[tuple[bytes, dict]]:
    connection = await aio_pika.connect(amqp_url)
    got = []
    try:
        channel = await connection.channel()
        q = await channel.get_queue(queue, ensure=True)
        while (message := await q.get(fail=False, no_ack=True)) is not None:
            got.append((message.body, dict(message.headers or {})))
    finally:
        await connection.close()
    return got


def drain(amqp_url: str, queue: str) -> list[tuple[bytes, dict]]:
    return syncrun.run(_drain(amqp_url, queue))


async def _bind(amqp_url: str, queue: str, exchange: str, key: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, durable=False, auto_delete=False)
        await q.bind(exchange, routing_key=key)
    finally:
        await connection.close()


def listen(amqp_url: str, exchange: str, key: str) -> str:
    """A queue of this test's own that collects what is published on ``exchange`` with ``key``."""
    import uuid
    queue = f"test.{key}.{uuid.uuid4().hex[:8]}"
    syncrun.run(_bind(amqp_url, queue, exchange, key))
    return queue


def dead_letters_mentioning(system, needle: str, count: int = 1, timeout: float = 15.0) -> list[dict]:
    """The headers of ``count`` dead letters of the push-worker's DLQ whose body holds ``needle``."""
    found: list[dict] = []

    def check():
        found.extend(h for body, h in drain(system.settings.amqp_url, DLQ) if needle.encode() in body)
        return len(found) >= count
    client.wait_for(check, timeout=timeout, every=0.3, what=f"{count} dead letters containing {needle}")
    return found
