"""`ledgersync dlq list|replay`: what was parked in the dead-letter queues and why; replay
moves messages back to their work queue (with a fresh attempt count) once the cause is fixed.
The console calls the same functions."""
from __future__ import annotations

import hashlib

import aio_pika

from services.core import topology
from services.core.bus import ATTEMPT_HEADER, REASON_HEADER, ROUTING_KEY_HEADER, declare_topology
from services.core.settings import Settings


def key_of(message) -> str:
    """Names one dead letter: its message id, or (upstream events often have none) its body's hash."""
    return message.message_id or "sha256:" + hashlib.sha256(message.body).hexdigest()[:32]


def _describe(message, body_chars: int) -> dict:
    headers = dict(message.headers or {})
    return {"message_id": message.message_id, "key": key_of(message), "reason": headers.get(REASON_HEADER, "(broker)"),
            "routing_key": headers.get(ROUTING_KEY_HEADER) or message.routing_key,
            "headers": {k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in headers.items()},
            "body": message.body[:body_chars].decode(errors="replace")}


async def _each(settings: Settings, queue: str, limit: int, replay: bool, *, body_chars: int = 300,
                key: str | None = None) -> list[dict]:
    """Walk a dead-letter queue; replay every message walked (or only the one named ``key``)."""
    connection = await aio_pika.connect(settings.amqp_url)
    seen: list[dict] = []
    try:
        channel = await connection.channel(publisher_confirms=True)
        await declare_topology(channel)
        dlq = await channel.get_queue(topology.dead_letter_queue(queue), ensure=False)
        while len(seen) < limit and (message := await dlq.get(fail=False, no_ack=False)) is not None:
            if key is not None and key_of(message) != key:
                continue  # left unacked: back in the queue when the connection closes
            seen.append(_describe(message, body_chars))
            if replay:
                headers = dict(message.headers or {})
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


async def list_dead(settings: Settings, queue: str, limit: int = 50, body_chars: int = 300) -> list[dict]:
    return await _each(settings, queue, limit, replay=False, body_chars=body_chars)


async def replay_dead(settings: Settings, queue: str, limit: int = 1000,
                      key: str | None = None) -> list[dict]:
    """Replay up to ``limit`` messages of ``queue``'s dead letters, or only the one named ``key``."""
    return await _each(settings, queue, limit if key is None else 1, replay=True, key=key)
