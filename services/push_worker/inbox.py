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
from itertools import groupby

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts.errors import ContractViolation
from contracts.events import load_object, parse_domain_event
from services.core import deferred_writes
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

    @property
    def object_id(self):
        """The id of the object the event is about (None for an event about none)."""
        return getattr(self.event.data, "id", None)

    def inbox_args(self) -> tuple:
        return self.event.id, self.event.type, self.object_id, self.body


@dataclass(frozen=True)
class Intake:
    """A ``WritesInbox`` handler's first statement for one event (its ``INBOX`` CTE included) and
    its arguments, with what the handler made on the way (``state``) for the rest of its work."""
    statement: str
    args: tuple
    state: object = None


@dataclass(frozen=True)
class WritesInbox:
    """A handler that writes the inbox row in its own first statement (``INBOX``): ``take``
    makes that statement (no I/O), ``apply`` runs the event from there, given the statement's
    row or running it itself (row None); it returns ``DUPLICATE``, None, or an ``AfterCommit``.
    ``independent``: its event reads nothing another event of its batch writes but its own
    object's record (an invoice or a bill reads no other document's), so in a batch the first
    statements of a run of such events about different objects go together in one round trip,
    and their last writes (``services.core.deferred_writes``) wait for the batch's commit."""
    take: Callable[[Received], Intake]
    apply: Callable[[asyncpg.Connection, Received, Intake, object], Awaitable[str | AfterCommit | None]]
    independent: bool = False


async def _apply(conn, handler, received: Received, intake: Intake | None = None, row=None):
    if isinstance(handler, WritesInbox):
        return await handler.apply(conn, received, intake or handler.take(received), row)
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
        afters = []
        with deferred_writes.pipelined() as deferred:  # the events' last writes, sent together before the commit
            each = [(*parsed(m), m, contextvars.copy_context()) for m in messages]  # a bad one: each alone
            async with pool.acquire() as conn, conn.transaction():
                start = 0
                while start < len(each):
                    run = _run(each, start, deferred)
                    if deferred.writes and not _may_follow(deferred, run[0]):
                        await deferred.flush(conn)  # the next event may read what they store
                    afters.extend(await _take_run(conn, run))
                    start += len(run)
                await deferred.flush(conn)
        work = []
        for (_, _, _, context), after in zip(each, afters, strict=True):
            context.run(settled, after)
            work.append(None if after is None or after == DUPLICATE else partial(_after, after, context))
        return work

    consume.batch, consume.batch_of_one = batch, True
    return consume


def _may_follow(deferred: deferred_writes.Pipeline, one) -> bool:
    """Whether an event of a batch may be handled while ``deferred`` holds writes not sent yet:
    it reads none of them (an independent handler's event about another object)."""
    handler, received = one[0], one[1]
    return getattr(handler, "independent", False) and not deferred.holds(received.object_id)


def _run(each: list, start: int, deferred: deferred_writes.Pipeline) -> list:
    """The event at ``start`` and the ones after it whose first statements may go with its:
    events of one independent handler (``WritesInbox``), each about an object no other of them
    (nor a deferred write) is about."""
    run, objects = each[start:start + 1], {each[start][1].object_id}
    if not _may_follow(deferred, run[0]):
        return run
    for one in each[start + 1:]:
        object_id = one[1].object_id
        if one[0] is not run[0][0] or object_id is None or object_id in objects or not _may_follow(deferred, one):
            break
        run.append(one)
        objects.add(object_id)
    return run


async def _take_run(conn, run: list) -> list:
    """What each event of ``run`` leaves for after the commit; a run of several takes their
    first statements in one round trip (pipelined), then each event goes on from its row."""
    if len(run) == 1:
        handler, received, message, context = run[0]
        return [await _InContext(context, _apply_bound(conn, handler, received, message))]
    intakes = [handler.take(received) for handler, received, _, _ in run]
    rows = []
    for statement, same in groupby(intakes, key=lambda intake: intake.statement):
        rows.extend(await conn.fetchmany(statement, [intake.args for intake in same]))
    return [await _InContext(context, _apply_bound(conn, handler, received, message, intake, row))
            for (handler, received, message, context), intake, row in zip(run, intakes, rows, strict=True)]


async def _apply_bound(conn, handler, received: Received, message: AbstractIncomingMessage,
                       intake: Intake | None = None, row=None):
    """One event of a batch, run in a context of its own that keeps the fields a lone message's
    logs have, for its after-commit work too."""
    structlog.contextvars.bind_contextvars(
        message_id=message.message_id, routing_key=routing_key(message),
        attempt=int((message.headers or {}).get(ATTEMPT_HEADER, 1)), **received.log_fields())
    return await _apply(conn, handler, received, intake, row)


class _InContext:
    """Awaits a coroutine in this task, each of its steps run in ``context``: an event of a batch
    keeps a context of its own without a task of its own (a task would cost two turns of the
    loop, which is busy with everything else, per event)."""

    def __init__(self, context: contextvars.Context, coro) -> None:
        self.context, self.coro = context, coro

    def __await__(self):
        value, error = None, None
        while True:
            try:
                if error is None:
                    step = self.context.run(self.coro.send, value)
                else:
                    step = self.context.run(self.coro.throw, error)
            except StopIteration as done:
                return done.value
            try:
                value, error = (yield step), None
            except BaseException as exc:  # noqa: BLE001 - thrown into the task (cancelled): on to the coroutine
                value, error = None, exc


def _after(after: AfterCommit, context: contextvars.Context) -> asyncio.Task:
    return asyncio.create_task(after(), context=context)
