"""Reading what ended in a dead-letter queue, from outside."""
from __future__ import annotations

import asyncio

import aio_pika


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
    return asyncio.run(_drain(amqp_url, queue))
