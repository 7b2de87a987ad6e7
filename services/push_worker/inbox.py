"""Domain events: parse at the edge, dedupe by event id in the transaction of the effect.

A handler is called inside the event's transaction. A plain one (``conn, event``) finds the
inbox row written already; one wrapped in ``WritesInbox`` writes it itself, as the ``INBOX``
CTE of its first statement (a round trip less), and says ``DUPLICATE`` when it was there. A
handler may return work to run once the transaction committed (the event is deduped then:
that work must never need the event delivered again)."""
from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts.errors import ContractViolation
from contracts.events import load_object, parse_domain_event
from services.core.bus import ATTEMPT_HEADER, routing_key
from services.core.errors import PermanentError

log = structlog.get_logger(__name__)
EventHandler = Callable[[asyncpg.Connection, object], Awaitable[None]]
AfterCommit = Callable[[], Awaitable[None]]
DUPLICATE = "duplicate"  # what a WritesInbox handler returns for an event it had already
# the event's inbox row ($1-$4: Received.inbox_args()); `first` is true unless it was there
INBOX = ("inboxed AS (INSERT INTO inbox (source, message_id, message_type, object_id, body) "
         "VALUES ('domain', $1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true AS first)")


@dataclass(frozen=True)
class Received:
    """A delivered domain event, parsed, with the body its inbox row keeps."""
    event: object
    body: dict
    redelivered: bool = False  # the broker's flag: an earlier delivery was never acked (its consumer died)

    def log_fields(self) -> dict:
        """What every log line of its handling carries."""
        return {"event_id": self.event.id, "event_type": self.event.type, "entity_id": str(self.event.entityid)}

    def inbox_args(self) -> tuple:
        return self.event.id, self.event.type, getattr(self.event.data, "id", None), self.body


@dataclass(frozen=True)
class WritesInbox:
    """A handler that writes the inbox row in its own first statement (``INBOX``); it returns
    ``DUPLICATE``, None, or an ``AfterCommit``."""
    apply: Callable[[asyncpg.Connection, Received], Awaitable[str | AfterCommit | None]]


async def _apply(conn, handler, received: Received) -> str | AfterCommit | None:
    if isinstance(handler, WritesInbox):
        return await handler.apply(conn, received)
    if not await conn.fetchval(f"WITH {INBOX} SELECT first FROM inboxed", *received.inbox_args()):
        return DUPLICATE
    return await handler(conn, received.event)


def make_domain_consumer(pool: asyncpg.Pool, handlers: dict[str, EventHandler | WritesInbox]):
    """The callback for queue ledgersync.push-worker: one event, one transaction, then ack; or
    (``consume.batch``) the events delivered meanwhile in one transaction, each acked once what
    its handler left for after the commit is done."""

    def parsed(message: AbstractIncomingMessage):
        try:
            body = load_object(message.body)  # parsed once: validated here, stored in the inbox below
            event = parse_domain_event(body, routing_key(message))
        except ContractViolation as exc:
            raise PermanentError(f"invalid event: {exc.reason}") from exc
        handler = handlers.get(event.type)
        if handler is None:
            raise PermanentError(f"no handler for event type {event.type!r}")
        return handler, Received(event, body, bool(message.redelivered))

    def settled(after) -> None:
        if after == DUPLICATE:
            log.info("event.duplicate_ignored")
        else:
            log.info("event.applied")

    async def consume(message: AbstractIncomingMessage) -> None:
        handler, received = parsed(message)
        with structlog.contextvars.bound_contextvars(**received.log_fields()):
            async with pool.acquire() as conn, conn.transaction():
                after = await _apply(conn, handler, received)
            settled(after)
            if after is not None and after != DUPLICATE:
                await after()

    async def batch(messages: list[AbstractIncomingMessage]):
        """Every event in one transaction, each in a context of its own (its logs' fields, and
        its after-commit work's); returns that work per message, to run once it committed."""
        each = [(parsed(m), m, contextvars.copy_context()) for m in messages]  # a bad one: each alone
        afters = []
        async with pool.acquire() as conn, conn.transaction():
            for (handler, received), message, context in each:
                afters.append(await asyncio.create_task(_apply_bound(conn, handler, received, message),
                                                        context=context))
        work = []
        for (_, _, context), after in zip(each, afters, strict=True):
            context.run(settled, after)
            work.append(None if after is None or after == DUPLICATE else partial(_after, after, context))
        return work

    consume.batch, consume.batch_of_one = batch, True
    return consume


async def _apply_bound(conn, handler, received: Received, message: AbstractIncomingMessage):
    """One event of a batch, run in a context of its own that keeps the fields a lone message's
    logs have, for its after-commit work too."""
    structlog.contextvars.bind_contextvars(
        message_id=message.message_id, routing_key=routing_key(message),
        attempt=int((message.headers or {}).get(ATTEMPT_HEADER, 1)), **received.log_fields())
    return await _apply(conn, handler, received)


def _after(after: AfterCommit, context: contextvars.Context) -> asyncio.Task:
    return asyncio.create_task(after(), context=context)
