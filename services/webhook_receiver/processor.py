"""Behind queue ledgersync.webhooks: apply each stored delivery once. The deliveries already
handed to the processor are applied together, in one transaction (``consume.batch``): their
rows locked in one round trip, the attempts and records of their writes in another, then each
one's settling (a done write: one statement) and the rest marked processed in one more. If the
batch fails, the consumer gives each delivery to ``consume`` alone (its own transaction, its
own outcome: a bad one is dead-lettered alone)."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts.commands import WebhookReference, parse_message
from contracts.errors import ContractViolation
from services.connections import notices
from services.core import deferred_writes
from services.core.errors import PermanentError
from services.providers.base import ConnectionNotice, ProviderAdapter, ReadNotice, WebhookNotice, WriteNotice
from services.push import settle
from services.webhook_receiver.intake import Intake
from services.core.logging import info_on

log = structlog.get_logger(__name__)
_info_on = info_on(__name__)  # INFO lines' fields gathered only when written

# the batch's deliveries, locked in one order (so two batches never wait on each other in a circle)
_DELIVERIES = ("SELECT d.* FROM webhook_deliveries d JOIN unnest($1::text[], $2::text[]) AS g(provider, webhook_id) "
               "USING (provider, webhook_id) ORDER BY d.provider, d.webhook_id FOR UPDATE OF d")
_MARK = ("UPDATE webhook_deliveries d SET processed_at = now(), outcome = g.outcome "
         "FROM unnest($1::text[], $2::text[], $3::text[]) AS g(provider, webhook_id, outcome) "
         "WHERE d.provider = g.provider AND d.webhook_id = g.webhook_id")


@dataclass
class _Delivery:
    provider: str
    webhook_id: str
    row: asyncpg.Record | None = None
    notice: WebhookNotice | None = None
    outcome: str = "ignored"
    context: dict = field(default_factory=dict)  # its log context, for the line after commit


async def _apply(conn, provider: str, notice: WebhookNotice, webhook_id: str, locked=None,
                 touched: set | None = None) -> tuple[str, bool]:
    """The one handler of each kind of notice: (outcome, whether it marked the delivery processed)."""
    if isinstance(notice, ConnectionNotice):
        return await notices.on_connection_notice(conn, provider, notice), False
    if isinstance(notice, ReadNotice):
        return await notices.on_read_notice(conn, provider, notice), False
    if isinstance(notice, WriteNotice):
        return await settle.on_write_notice(conn, notice, (provider, webhook_id), locked, touched)
    raise PermanentError(f"no handler for {type(notice).__name__}")


def _reference(message: AbstractIncomingMessage) -> WebhookReference:
    try:
        return parse_message(WebhookReference, message.body, "webhook reference")
    except ContractViolation as exc:
        raise PermanentError(exc.reason) from exc


def make_webhook_consumer(pool: asyncpg.Pool, adapter: ProviderAdapter, provider: str, intake: Intake):
    """``intake``: shared with the receiver, which comes first (verify, store, 2xx)."""

    async def consume(message: AbstractIncomingMessage) -> None:
        ref = _reference(message)
        async with intake.processing_turn():
            await _process(pool, adapter, [_Delivery(ref.provider, ref.webhook_id)])

    async def batch(messages: list[AbstractIncomingMessage]) -> None:
        deliveries = [_Delivery(ref.provider, ref.webhook_id) for ref in map(_reference, messages)]
        async with intake.processing_turn():
            await _process(pool, adapter, deliveries)

    consume.batch = batch
    return consume


async def _process(pool: asyncpg.Pool, adapter: ProviderAdapter, deliveries: list[_Delivery]) -> None:
    """Apply stored deliveries in one transaction, each once (a delivery already processed, or
    twice in the batch, is left as it is)."""
    outer = structlog.contextvars.get_contextvars()
    try:
        with deferred_writes.pipelined() if len(deliveries) > 1 else contextlib.nullcontext() as deferred:
            async with pool.acquire() as conn, conn.transaction():
                todo = await _take(conn, adapter, deliveries)
                marks = await _settle(conn, todo, outer, deferred)
                if deferred is not None:
                    await deferred.flush(conn)
                if marks:
                    await conn.execute(_MARK, *map(list, zip(*marks, strict=True)))
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**outer)
    if _info_on():
        for one in todo:
            with structlog.contextvars.bound_contextvars(**one.context):
                log.info("webhook.processed", outcome=one.outcome)


async def _take(conn, adapter: ProviderAdapter, deliveries: list[_Delivery]) -> list[_Delivery]:
    """The deliveries to apply, locked, each with its notice read."""
    rows = await conn.fetch(_DELIVERIES, [d.provider for d in deliveries], [d.webhook_id for d in deliveries])
    stored = {(r["provider"], r["webhook_id"]): r for r in rows}
    todo, seen = [], set()
    for one in deliveries:
        key = (one.provider, one.webhook_id)
        one.row = stored.get(key)
        if one.row is None:
            raise PermanentError(f"no stored webhook delivery {one.provider}:{one.webhook_id}")
        if one.row["processed_at"] is not None or key in seen:
            with structlog.contextvars.bound_contextvars(webhook_id=one.webhook_id, provider=one.provider):
                log.info("webhook.already_processed")
            continue
        seen.add(key)
        if adapter.classify_webhook(one.row["event_type"]) == "handled":
            one.notice = adapter.read_webhook(one.row["event_type"], one.row["body"])
        todo.append(one)
    return todo


async def _settle(conn, todo: list[_Delivery], outer: dict,
                  deferred: deferred_writes.Pipeline | None = None) -> list[tuple[str, str, str]]:
    """Each delivery applied in turn; returns (provider, webhook_id, outcome) of those still to mark.
    With ``deferred`` (a batch), done writes of records nothing waits for go together before the
    commit; a delivery that might read what one of them stores is applied after they went."""
    writes = [one.notice.result.operation_id for one in todo if isinstance(one.notice, WriteNotice)]
    locked = await settle.locked_operations(conn, writes) if len(writes) > 1 else {}
    touched: set = set()  # records settled so far (and those they freed): read again when met again
    marks = []
    for one in todo:
        structlog.contextvars.bind_contextvars(webhook_id=one.webhook_id, provider=one.provider,
                                               event_type=one.row["event_type"])
        marked = False
        if one.notice is not None:
            mine = None
            if isinstance(one.notice, WriteNotice):
                mine = locked.pop(one.notice.result.operation_id, None)
                if mine is not None and mine[1]["id"] in touched:
                    mine = None
            else:  # a connection or read notice may change anything: lock again from here on
                locked.clear()
            if deferred is not None and deferred.writes and (mine is None or deferred.holds(mine[1]["object_id"])):
                await deferred.flush(conn)  # it reads the database afresh: the deferred writes go first
            one.outcome, marked = await _apply(conn, one.provider, one.notice, one.webhook_id, mine, touched)
        if not marked:
            marks.append((one.provider, one.webhook_id, one.outcome))
        if _info_on():  # for its line after the commit
            one.context = structlog.contextvars.get_contextvars()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**outer)
    return marks
