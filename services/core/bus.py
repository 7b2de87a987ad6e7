"""RabbitMQ: topology from code, publishing with confirms, and what a consumer needs to know of
a message (its first routing key, its copy for a retry or a dead letter); the consumer wrapper
itself is ``services.core.consumer``."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from services.core import db, retry, topology

log = structlog.get_logger(__name__)
ATTEMPT_HEADER = "x-ledgersync-attempt"
REASON_HEADER = "x-ledgersync-reason"
ROUTING_KEY_HEADER = "x-ledgersync-original-routing-key"

Handler = Callable[[AbstractIncomingMessage], Awaitable[None]]
# a handler's ``batch`` attribute: the messages already delivered, handled together (one
# transaction); raising leaves each to the handler alone. It may return, per message, what is
# left to do after the commit (or None), which then settles that message (services.core.consumer)
BatchHandler = Callable[[list[AbstractIncomingMessage]],
                        Awaitable[list[Callable[[], Awaitable[None]] | None] | None]]
DatabaseProbe = Callable[[], Awaitable[bool]]  # True when the database answers
# what the database being away looks like to a handler; the probe decides whether it is
DATABASE_AWAY = (*db.UNAVAILABLE, OSError, asyncio.TimeoutError)
DATABASE_WAIT_S = 30.0  # a message that met the database away is tried again after this long


async def connect(url: str) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(url, client_properties={"connection_name": "ledgersync"})


async def open_channel(connection: AbstractRobustConnection, prefetch: int) -> AbstractChannel:
    """A channel with publisher confirms on which an unroutable mandatory message raises."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    await channel.set_qos(prefetch_count=prefetch)
    return channel


async def declare_topology(channel: AbstractChannel) -> None:
    for name in (topology.DOMAIN_EXCHANGE, topology.OWN_EXCHANGE):
        await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
    dlx = await channel.declare_exchange(topology.DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT,
                                         durable=True)
    for spec in topology.QUEUES:
        dlq = await channel.declare_queue(topology.dead_letter_queue(spec.name), durable=True,
                                          arguments={"x-queue-type": "quorum"})
        await dlq.bind(dlx, routing_key=spec.name)
        queue = await channel.declare_queue(spec.name, durable=True,
                                            arguments=topology.work_queue_arguments(spec.name))
        for exchange, key in spec.bindings:
            await queue.bind(exchange, routing_key=key)
        for tier, delay in enumerate(topology.RETRY_DELAYS_S):
            await channel.declare_queue(topology.retry_queue(spec.name, tier), durable=True,
                                        arguments=topology.retry_queue_arguments(spec.name, delay))


class Publisher:
    """Publishes persistent messages on a channel with publisher confirms."""

    def __init__(self, channel: AbstractChannel) -> None:
        self.channel = channel
        self._lock = asyncio.Lock()

    async def publish(self, exchange: str, routing_key: str, body: bytes | dict, *,
                      message_id: str | None = None, headers: dict | None = None,
                      expiration_ms: int | None = None) -> None:
        if isinstance(body, dict):
            body = json.dumps(body, separators=(",", ":")).encode()
        message = aio_pika.Message(
            body, message_id=message_id, headers=headers or {}, content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            expiration=expiration_ms / 1000 if expiration_ms else None)
        target = (self.channel.default_exchange if exchange == ""
                  else await self.channel.get_exchange(exchange, ensure=False))
        # straight to a queue (commands, retries, dead letters): a message no queue takes is an
        # error, not a silent drop; events on topic exchanges go to whoever subscribed, maybe nobody
        mandatory = exchange in ("", topology.DEAD_LETTER_EXCHANGE)
        await target.publish(message, routing_key=routing_key, mandatory=mandatory)  # waits for the confirm


def first_retry(queue: str, exc: BaseException) -> tuple[str, dict]:
    """(retry queue, headers) of a message for ``queue`` whose first try failed with ``exc``
    outside the queue: it waits in the delayed-retry tiers as a failed first delivery would."""
    tier = retry.retry_tier(1, getattr(exc, "retry_after", None))
    return topology.retry_queue(queue, tier), {ATTEMPT_HEADER: 2, ROUTING_KEY_HEADER: queue}


def routing_key(message: AbstractIncomingMessage) -> str | None:
    """The key the message was first published with (a delayed retry comes back under another)."""
    return (message.headers or {}).get(ROUTING_KEY_HEADER) or message.routing_key


def copy_of(message: AbstractIncomingMessage, headers: dict) -> dict[str, Any]:
    return dict(body=message.body, message_id=message.message_id,
                headers={**(message.headers or {}), ROUTING_KEY_HEADER: routing_key(message) or "",
                         **headers})
