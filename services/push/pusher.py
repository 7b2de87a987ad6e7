"""A push: prerequisites → body → one provider write per logical push.

Phase 1 (a transaction) decides and stores the attempt with its idempotency key and body;
phase 2 calls the provider; phase 3 stores the operation. A document event runs phase 1 in its
own transaction (``prepare_document``) and phases 2–3 after it commits (``deliver_after_commit``);
the command ``push_record`` runs all three for manual pushes, dependents, retries and released
parked pushes. A crash after phase 1 leaves a ``sending`` attempt: the scheduler's re-check of
stale pushes (or the command's redelivery) re-sends the same key and body, or looks it up first
(``record_lifecycle.before_write``), so the accounting system never gets a second document."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from contracts.commands import PushRecord
from services.core.errors import PermanentError, ProviderRateLimited, ProviderRejected, ProviderUnavailable
from services.providers.base import ProviderAdapter
from services.push import inputs, parking, transitions, settle
from services.push.before_create import look_before_create
from services.synced_records import repo
from services.sync import record_errors
from services.sync import record_lifecycle as lifecycle
from services.sync.lookup import contact_name
from services.sync.money import TotalsMismatch

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Plan:
    """What to send, or why not, or which record to wait for."""
    body: dict | None = None
    problems: tuple[record_errors.SyncError, ...] = ()
    wait_for: uuid.UUID | None = None


@dataclass(frozen=True)
class Outgoing:
    """Phase 2's write: its attempt (key, data type), the connection, the body, the id to change."""
    attempt: asyncpg.Record
    connection: asyncpg.Record
    body: dict
    existing: str | None  # already in the accounting system (a canceled bill): change it, never add one


async def _plan_contact(conn, adapter: ProviderAdapter, connection, record) -> Plan:
    kind = record["object_type"]
    row = await conn.fetchrow("SELECT * FROM counterparts WHERE id = $1", record["object_id"])
    if row is None:
        return Plan(problems=(record_errors.counterpart_unknown(str(record["object_id"]), ""),))
    name = contact_name(row["name"], kind, connection["platform"], row["is_customer"] and row["is_vendor"])
    return Plan(adapter.write_body(kind, {**dict(row), "name": name}))


async def _plan(conn, adapter: ProviderAdapter, connection, record, doc: dict | None,
                looked_up: dict | None = None) -> Plan:
    kind = record["object_type"]
    if kind in lifecycle.CONTACTS:
        return await _plan_contact(conn, adapter, connection, record)
    if doc is None:
        doc = await conn.fetchval("SELECT data FROM documents WHERE id = $1", record["object_id"])
    verdict, extra = await inputs.verdict(conn, connection, kind, doc, looked_up)
    if verdict.errors:
        return Plan(problems=tuple(verdict.errors))
    if verdict.create_counterpart and kind != "payment_record":
        dep, _ = await transitions.ensure_record(conn, connection, inputs.ROLE_OF[kind],
                                                 uuid.UUID(str(doc["counterpart_id"])), None)
        return Plan(wait_for=dep["id"])
    if verdict.wait_for:
        return Plan(wait_for=uuid.UUID(verdict.wait_for))
    try:
        return Plan(adapter.write_body(kind, doc, verdict, **extra))
    except TotalsMismatch as exc:
        return Plan(problems=(record_errors.SyncError(
            "document_totals_inconsistent", f"The document's totals do not add up: {exc}",
            "Correct the document's totals upstream and issue it again"),))
    except ProviderRejected as exc:  # the provider cannot take this document at all (Railz: a void bill)
        return Plan(problems=(record_errors.SyncError("provider_cannot_write", exc.message,
                                                      "Record it in the accounting system by hand"),))


async def _load(conn, record_id: uuid.UUID, generation: int):
    """(record, connection, attempt) rows of this push, the record locked; Nones when it is gone."""
    record = await conn.fetchrow("SELECT * FROM synced_records WHERE id = $1 FOR UPDATE", record_id)
    if record is None:
        return None, None, None
    connection = await conn.fetchrow("SELECT * FROM accounting_connections WHERE id = $1", record["connection_id"])
    attempt = await conn.fetchrow("SELECT * FROM push_attempts WHERE record_id = $1 AND generation = $2",
                                  record_id, generation)
    return record, connection, attempt


async def _write(conn, adapter: ProviderAdapter, record, connection, doc: dict | None,
                 looked_up: dict | None = None) -> Outgoing | None:
    """A new write of the record's current push: planned, then stored with its key before it is sent
    (``doc``: the document as its event carries it, planned in the event's transaction, with the
    look-ups its intake made: ``looked_up``)."""
    plan = await _plan(conn, adapter, connection, record, doc, looked_up)
    status = None
    if plan.wait_for and not plan.problems:
        # lock the dependency: either its settlement sees our waiting_for, or we see it settled
        status = await conn.fetchval("SELECT sync_status FROM synced_records WHERE id = $1 FOR UPDATE", plan.wait_for)
    decision = lifecycle.after_plan(plan.problems, plan.wait_for, status, in_event=doc is not None)
    if not isinstance(decision, lifecycle.Write):
        record = await repo.stored(conn, record)
    match decision:
        case lifecycle.Fail(problems):
            await transitions.fail(conn, record, list(problems))
        case lifecycle.RequestAgain():
            await transitions.request_push(conn, record)
        case lifecycle.Wait(on):
            await conn.execute("UPDATE synced_records SET waiting_for = $2 WHERE id = $1", record["id"], on)
            log.info("push.waiting", waiting_for=str(on))
        case lifecycle.Write():
            attempt = await _store_attempt(conn, adapter, record, plan.body)
            return Outgoing(attempt, connection, plan.body, record["platform_object_id"])
    return None


_ATTEMPT = ("INSERT INTO push_attempts (id, record_id, generation, idempotency_key, data_type, status, body, "
            "requested_at, checked_at) VALUES ({0}, {1}, {2}, {3}, {4}, 'sending', {5}, {6}, {6})")
_ATTEMPT_ALONE = _ATTEMPT.format(*(f"${i + 1}" for i in range(7)))
_ATTEMPT_WITH_RECORD = ("attempt AS (" + _ATTEMPT.format(*(f"${repo.AFTER_INSERT_ARG + i}" for i in range(7)))
                        + " RETURNING id)")


async def _store_attempt(conn, adapter: ProviderAdapter, record, body: dict) -> dict:
    """The attempt of the record's current push, with its idempotency key and body; a record
    not stored yet (a document event's new one) is stored with it and its announcement, in one
    round trip."""
    generation, now = record["push_generation"], datetime.now(UTC)
    attempt = {"id": uuid.uuid4(), "record_id": record["id"], "generation": generation,
               "idempotency_key": transitions.key(record["id"], generation),
               "data_type": adapter.data_type_of(record["object_type"]), "body": body, "requested_at": now}
    args = tuple(attempt.values())
    if isinstance(record, repo.Unsaved):  # the event's last write: it may go with its batch's others
        await repo.stored(conn, record, also=_ATTEMPT_WITH_RECORD, also_args=args, deferrable=True)
    else:
        await conn.execute(_ATTEMPT_ALONE, *args)
    return {**attempt, "status": "sending", "operation_id": None, "errors": None, "checked_at": now,
            "completed_at": None, "answers": []}


async def _decide(conn, adapter: ProviderAdapter, record, generation: int, connection, attempt,
                  doc: dict | None = None, looked_up: dict | None = None) -> Outgoing | None:
    """Phase 1's decision and writes: the write to send, or None when there is nothing to send."""
    outcome = lifecycle.before_write(
        lifecycle.of(lifecycle.SyncedRecord, record), generation, lifecycle.of(lifecycle.Connection, connection),
        lifecycle.of(lifecycle.PushAttempt, attempt), now=datetime.now(UTC), window=adapter.idempotency_window)
    if not isinstance(outcome, lifecycle.PlanWrite):
        record = await repo.stored(conn, record)
    match outcome:
        case lifecycle.Stale():
            log.info("push.command_stale")
        case lifecycle.Fail(problems):
            await transitions.fail(conn, record, list(problems))
        case lifecycle.Defer():
            await parking.park(conn, record["id"], connection["id"], generation)
        case lifecycle.Reconcile():
            await settle.request_reconcile(conn, attempt)  # look before writing again
        case lifecycle.Resend():  # the same write again: same key, same body (never a changed one)
            return Outgoing(attempt, connection, attempt["body"], record["platform_object_id"])
        case lifecycle.PlanWrite():
            return await _write(conn, adapter, record, connection, doc, looked_up)
    return None  # AwaitAnswer: already written; its webhook (or the scheduler's re-check) settles it


async def prepare_document(conn, adapter: ProviderAdapter, record, connection, doc: dict,
                           looked_up: dict | None = None) -> Outgoing | None:
    """Phase 1 inside a document event's transaction: ``record`` was just created or given a new
    push there (locked, no attempt yet); ``doc`` is the document as the event carries it and
    ``looked_up`` the prerequisites its intake statement read (``inputs.embedded``)."""
    return await _decide(conn, adapter, record, record["push_generation"], connection, None, doc, looked_up)


LOOK_FIRST = "look_first"  # a contact's first write of this push: look before creating it


async def _prepare(pool: asyncpg.Pool, adapter: ProviderAdapter, record_id: uuid.UUID, generation: int, *,
                   looked: bool = False):
    """Phase 1 of a ``push_record`` command (``looked``: after ``look_before_create``)."""
    async with pool.acquire() as conn, conn.transaction():
        record, connection, attempt = await _load(conn, record_id, generation)
        if not looked and attempt is None and record is not None and record["object_type"] in lifecycle.CONTACTS:
            return LOOK_FIRST
        return await _decide(conn, adapter, record, generation, connection, attempt)


async def _send(adapter: ProviderAdapter, out: Outgoing):
    company, link = out.connection["provider_company_id"], out.connection["provider_connection_id"]
    data_type, key = out.attempt["data_type"], str(out.attempt["idempotency_key"])
    if out.existing:
        return await adapter.update(company, link, data_type, out.existing, out.body, key)
    return await adapter.push(company, link, data_type, out.body, key)


async def deliver(pool: asyncpg.Pool, adapter: ProviderAdapter, out: Outgoing) -> None:
    """Phases 2 and 3. A 429 parks the push, a refusal settles it; a 5xx or no answer raises."""
    record_id, generation = out.attempt["record_id"], out.attempt["generation"]
    try:
        result = await _send(adapter, out)
    except ProviderRateLimited as exc:
        await parking.rate_limited(pool, out.connection["id"], record_id, generation, exc.retry_after)
        return
    except ProviderRejected as exc:
        messages = [e.get("message") or str(e) for e in exc.context.get("errors") or []] or [exc.message]
        await settle.refused(pool, out.attempt, messages)
        return
    except ProviderUnavailable as exc:
        if exc.status:  # the provider answered, with a 5xx: unknown outcome, but no timeout (MAX_TIMEOUTS)
            await pool.execute("UPDATE push_attempts SET errors = $2 WHERE id = $1 AND status = 'sending'",
                               out.attempt["id"], [{"message": exc.message, "server_error": True}])
        raise
    log.info("push.sent", operation_id=result.operation_id, status=result.status, data_type=out.attempt["data_type"])
    await settle.record_operation(pool, out.attempt, result)  # phase 3: one statement for the usual answer


async def deliver_after_commit(pool: asyncpg.Pool, adapter: ProviderAdapter, out: Outgoing) -> None:
    """Phases 2 and 3 of a document event's push, once its transaction committed (a redelivery of
    the event is a duplicate now): what would retry the push goes to ``push_record`` instead, as
    that command's delayed retry, and the event is acked."""
    try:
        await deliver(pool, adapter, out)
    except PermanentError:
        raise
    except Exception as exc:  # noqa: BLE001 - as the consumer retries a failed push_record: all but permanent
        log.warning("push.retry_queued", error=str(exc), error_type=type(exc).__name__)
        async with pool.acquire() as conn, conn.transaction():
            await transitions.request_push(conn, {"id": out.attempt["record_id"],
                                                  "push_generation": out.attempt["generation"]}, failed_with=exc)


async def push_record(pool: asyncpg.Pool, adapter: ProviderAdapter, command: PushRecord) -> None:
    record_id, generation = command.record_id, command.generation
    out = await _prepare(pool, adapter, record_id, generation)
    if out == LOOK_FIRST:
        if not await look_before_create(pool, adapter, record_id, generation):
            return
        out = await _prepare(pool, adapter, record_id, generation, looked=True)
    if out is not None:
        await deliver(pool, adapter, out)
