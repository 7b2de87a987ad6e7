"""Settling pushes: the provider's answer, its webhooks, and look-ups of unanswered writes."""
from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog

from contracts.commands import ReconcilePush, SettlePush
from services.core.commands import send_command
from services.core.errors import RetryableError
from services.providers.base import ProviderAdapter, PushResult, WriteAttempt, WriteNotice
from services.push import transitions
from services.sync import record_lifecycle as lifecycle
from services.sync.platforms import platform_name

log = structlog.get_logger(__name__)
_OUTCOMES = {lifecycle.AlreadySettled: "already_settled", lifecycle.Pending: "pending", lifecycle.Stale: "stale",
             lifecycle.Done: "done", lifecycle.Reconcile: "reconciling", lifecycle.Fail: "error"}
# an attempt with its record and connection, unlocked: what a re-check or a look-up reads first
_PUSH = ("SELECT a.*, r.object_type, r.sync_status, r.push_generation, r.platform_object_id, c.provider_company_id, "
         "c.provider_connection_id, c.status AS connection_status, c.throttled_until FROM push_attempts a "
         "JOIN synced_records r ON r.id = a.record_id JOIN accounting_connections c ON c.id = r.connection_id "
         "WHERE a.id = $1")


async def _locked(conn, column: str, value):
    """(attempt, record) locked, by the attempt's ``id`` or ``operation_id``; the record carries its
    connection's platform (``connection_platform``), for the messages people read."""
    attempt = await conn.fetchrow(f"SELECT * FROM push_attempts WHERE {column} = $1 FOR UPDATE", value)
    if attempt is None:
        return None, None
    record = await conn.fetchrow(
        "SELECT r.*, (SELECT platform FROM accounting_connections c WHERE c.id = r.connection_id) AS "
        "connection_platform FROM synced_records r WHERE r.id = $1 FOR UPDATE", attempt["record_id"])
    return attempt, record


def _record_of(row) -> lifecycle.SyncedRecord:
    """The record's part of a ``_PUSH`` row."""
    return lifecycle.SyncedRecord(row["record_id"], row["object_type"], row["sync_status"], row["push_generation"],
                                  row["platform_object_id"])


def answer_of(result: PushResult) -> dict:
    """What the provider answered about a write, as kept on the attempt (its story)."""
    return {"at": datetime.now(UTC).isoformat(), "status": result.status, "operation_id": result.operation_id,
            "record_id": result.record_id, "errors": result.errors, "message": result.error_message}


async def apply(conn, attempt, record, result: PushResult) -> str:
    """Move the attempt and (when it is the record's current push) the record; never backwards."""
    await conn.execute("UPDATE push_attempts SET answers = answers || $2::jsonb WHERE id = $1",
                       attempt["id"], [answer_of(result)])
    errors = lifecycle.answer_errors(result.errors, result.error_message)
    system = platform_name({"platform": record["connection_platform"]})
    outcome = lifecycle.on_result(lifecycle.PushAttempt.from_row(attempt), lifecycle.SyncedRecord.from_row(record),
                                  result.status, result.record_id, errors, system)
    if isinstance(outcome, lifecycle.Pending):
        await conn.execute("UPDATE push_attempts SET status = 'pending', operation_id = coalesce(operation_id, $2) "
                           "WHERE id = $1", attempt["id"], result.operation_id)
    elif not isinstance(outcome, lifecycle.AlreadySettled):
        await conn.execute("UPDATE push_attempts SET status = $2, operation_id = coalesce(operation_id, $3), "
                           "errors = $4, completed_at = now() WHERE id = $1", attempt["id"], result.status,
                           result.operation_id, errors)
    match outcome:
        case lifecycle.Done(platform_id):
            await transitions.done(conn, record, platform_id, None)
        case lifecycle.Reconcile():
            await request_reconcile(conn, attempt)
        case lifecycle.Fail(problems):
            await transitions.fail(conn, record, list(problems))
    return _OUTCOMES[type(outcome)]


async def record_operation(pool: asyncpg.Pool, attempt, result: PushResult) -> None:
    """Phase 3 of a push: the provider accepted the write; remember its operation."""
    async with pool.acquire() as conn, conn.transaction():
        current, record = await _locked(conn, "id", attempt["id"])
        await apply(conn, current, record, result)


async def refused(pool: asyncpg.Pool, attempt, messages: list[str]) -> None:
    await record_operation(pool, attempt, PushResult(operation_id=None, status="failed", record_id=None,
                                                     errors=[{"message": m} for m in messages]))


async def on_write_notice(conn, notice: WriteNotice) -> str:
    """A write finished at the provider (inside the webhook processor's transaction)."""
    result = notice.result
    current, record = await _locked(conn, "operation_id", result.operation_id)
    if current is None:  # the write's answer may not be stored yet: try again shortly
        raise RetryableError(f"push operation {result.operation_id} is not known (yet)")
    structlog.contextvars.bind_contextvars(record_id=str(record["id"]), operation_id=result.operation_id)
    await conn.execute("INSERT INTO synced_record_history (record_id, kind, detail) VALUES ($1, 'webhook', $2)",
                       record["id"], {"data_type": result.data_type, "status": result.status, "body": result.raw})
    if isinstance(lifecycle.on_notice(lifecycle.PushAttempt.from_row(current), result.status), lifecycle.FetchDetails):
        await send_command(conn, SettlePush(attempt_id=current["id"]))  # fetch the details
        return "details_requested"
    return await apply(conn, current, record, result)


async def settle_push(pool: asyncpg.Pool, adapter: ProviderAdapter, command: SettlePush) -> None:
    """Command: read the operation at the provider and settle the attempt with it."""
    row = await pool.fetchrow(_PUSH, command.attempt_id)
    attempt = lifecycle.of(lifecycle.PushAttempt, row)
    record, connection = (None, None) if row is None else \
        (_record_of(row), lifecycle.Connection(row["connection_status"], row["throttled_until"]))
    match lifecycle.on_recheck(attempt, record, connection, datetime.now(UTC)):
        case lifecycle.RequestAgain():  # never answered: push the same key again (idempotent)
            async with pool.acquire() as conn, conn.transaction():
                await transitions.request_push(conn, {"id": row["record_id"], "push_generation": row["generation"]})
        case lifecycle.FetchDetails():
            result = await adapter.get_push_operation(row["provider_company_id"], row["operation_id"])
            async with pool.acquire() as conn, conn.transaction():
                current, locked = await _locked(conn, "id", row["id"])
                outcome = await apply(conn, current, locked, result)
            log.info("push.settled", attempt_id=str(row["id"]), outcome=outcome)


async def request_reconcile(conn, attempt) -> None:
    await send_command(conn, ReconcilePush(attempt_id=attempt["id"]))


async def _look_up(adapter: ProviderAdapter, row) -> str | None:
    """The document's id when the unanswered write created it. An update of a known record is
    safe to repeat: no look-up needed."""
    if row["platform_object_id"]:
        return None
    return await adapter.find_written(row["provider_company_id"], row["provider_connection_id"], WriteAttempt(
        row["object_type"], row["data_type"], row["body"] or {}, str(row["idempotency_key"]), row["operation_id"]))


async def _timeouts(conn, record_id) -> int:
    """The record's timed-out writes (a 5xx answer is no timeout)."""
    return await conn.fetchval("SELECT count(*) FROM push_attempts WHERE record_id = $1 AND status = 'timed_out' "
                               "AND NOT coalesce(errors @> '[{\"server_error\": true}]', false)", record_id)


async def reconcile_push(pool: asyncpg.Pool, adapter: ProviderAdapter, command: ReconcilePush) -> None:
    """Command: a write with an unknown outcome. Look the document up before writing again."""
    row = await pool.fetchrow(_PUSH, command.attempt_id)
    if row is None or not _record_of(row).is_current(row["generation"]):
        return
    found = await _look_up(adapter, row)
    async with pool.acquire() as conn, conn.transaction():
        current, record = await _locked(conn, "id", row["id"])
        if not lifecycle.SyncedRecord.from_row(record).is_current(current["generation"]):
            return
        if current["status"] in ("sending", "pending"):
            await conn.execute("UPDATE push_attempts SET status = 'timed_out', completed_at = now() WHERE id = $1",
                               current["id"])
        match lifecycle.after_lookup(found, 0 if found else await _timeouts(conn, record["id"])):
            case lifecycle.Done(platform_id):
                log.info("push.reconciled_found", record_id=str(record["id"]), platform_object_id=platform_id)
                await transitions.done(conn, record, platform_id, None)
            case lifecycle.Fail(problems):
                await transitions.fail(conn, record, list(problems))
            case lifecycle.Repush(reason):
                log.info("push.reconciled_absent", record_id=str(record["id"]))
                await transitions.repush(conn, record, reason)
