"""`ledgersync dlq list|replay`: what was parked in the dead-letter queues and why; replay
moves messages back to their work queue (with a fresh attempt count) once the cause is fixed."""
from __future__ import annotations

import aio_pika

from services.core import topology
from services.core.bus import ATTEMPT_HEADER, REASON_HEADER, ROUTING_KEY_HEADER, declare_topology
from services.core.settings import Settings


async def _each(settings: Settings, queue: str, limit: int, replay: bool) -> list[dict]:
    connection = await aio_pika.connect(settings.amqp_url)
    seen: list[dict] = []
    try:
        channel = await connection.channel(publisher_confirms=True)
        await declare_topology(channel)
        dlq = await channel.get_queue(topology.dead_letter_queue(queue), ensure=False)
        while len(seen) < limit and (message := await dlq.get(fail=False, no_ack=False)) is not None:
            headers = dict(message.headers or {})
            seen.append({"message_id": message.message_id, "reason": headers.get(REASON_HEADER, "(broker)"),
                         "routing_key": headers.get(ROUTING_KEY_HEADER) or message.routing_key,
                         "body": message.body[:300].decode(errors="replace")})
            if replay:
                headers.pop(REASON_HEADER, None)
                headers[ATTEMPT_HEADER] = 1
                await channel.default_exchange.publish(
                    aio_pika.Message(message.body, headers=headers, message_id=message.message_id,
                                     content_type=message.content_type,
                                     delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue)
                await message.ack()
            # listing leaves messages unacked: closing the connection puts them back, in order
    finally:
        await connection.close()
    return seen


async def list_dead(settings: Settings, queue: str, limit: int = 50) -> list[dict]:
    return await _each(settings, queue, limit, replay=False)


async def replay_dead(settings: Settings, queue: str, limit: int = 1000) -> list[dict]:
    return await _each(settings, queue, limit, replay=True)
