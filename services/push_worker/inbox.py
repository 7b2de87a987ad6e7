"""Domain events: parse at the edge, dedupe by event id in the transaction of the effect."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts.errors import ContractViolation
from contracts.events import parse_domain_event
from services.core.bus import routing_key
from services.core.errors import PermanentError

log = structlog.get_logger(__name__)
EventHandler = Callable[[asyncpg.Connection, object], Awaitable[None]]


def make_domain_consumer(pool: asyncpg.Pool, handlers: dict[str, EventHandler]):
    """The callback for queue ledgersync.push-worker: one event, one transaction, then ack."""

    async def consume(message: AbstractIncomingMessage) -> None:
        try:
            event = parse_domain_event(message.body, routing_key(message))
        except ContractViolation as exc:
            raise PermanentError(f"invalid event: {exc.reason}") from exc
        handler = handlers.get(event.type)
        if handler is None:
            raise PermanentError(f"no handler for event type {event.type!r}")
        with structlog.contextvars.bound_contextvars(event_id=event.id, event_type=event.type,
                                                     entity_id=str(event.entityid)):
            async with pool.acquire() as conn, conn.transaction():
                first = await conn.fetchval(
                    "INSERT INTO inbox (source, message_id, message_type, object_id, body) "
                    "VALUES ('domain', $1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
                    event.id, event.type, getattr(event.data, "id", None), json.loads(message.body))
                if not first:
                    log.info("event.duplicate_ignored")
                    return
                await handler(conn, event)
            log.info("event.applied")

    return consume
