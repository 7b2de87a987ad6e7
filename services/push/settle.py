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
from services.sync import record_errors
from services.sync.platforms import platform_name

log = structlog.get_logger(__name__)
MAX_TIMEOUTS = 3  # timed-out writes in a row before a person is asked to look


async def _locked(conn, attempt_id):
    attempt = await conn.fetchrow("SELECT * FROM push_attempts WHERE id = $1 FOR UPDATE", attempt_id)
    record = await conn.fetchrow("SELECT * FROM synced_records WHERE id = $1 FOR UPDATE", attempt["record_id"])
    return attempt, record


def answer_of(result: PushResult) -> dict:
    """What the provider answered about a write, as kept on the attempt (its story)."""
    return {"at": datetime.now(UTC).isoformat(), "status": result.status, "operation_id": result.operation_id,
            "record_id": result.record_id, "errors": result.errors, "message": result.error_message}


async def apply(conn, attempt, record, result: PushResult) -> str:
    """Move the attempt and (when it is the record's current push) the record; never backwards."""
    await conn.execute("UPDATE push_attempts SET answers = answers || $2::jsonb WHERE id = $1",
                       attempt["id"], [answer_of(result)])
    if attempt["status"] in ("success", "failed", "timed_out"):
        return "already_settled"
    if result.status == "pending":
        await conn.execute("UPDATE push_attempts SET status = 'pending', operation_id = coalesce(operation_id, $2) "
                           "WHERE id = $1", attempt["id"], result.operation_id)
        return "pending"
    errors = [{"message": e.get("message")} for e in result.errors] or (
        [{"message": result.error_message}] if result.error_message else None)
    await conn.execute("UPDATE push_attempts SET status = $2, operation_id = coalesce(operation_id, $3), "
                       "errors = $4, completed_at = now() WHERE id = $1", attempt["id"], result.status,
                       result.operation_id, errors)
    current = record["push_generation"] == attempt["generation"] and record["sync_status"] == "pending"
    if not current:
        return "stale"
    if result.status == "success" and result.record_id:
        await transitions.done(conn, record, result.record_id, None)
        return "done"
    if result.status == "timed_out":
        await request_reconcile(conn, attempt)
        return "reconciling"
    system = platform_name(await conn.fetchrow("SELECT platform FROM accounting_connections WHERE id = $1",
                                               record["connection_id"]))
    messages = [e["message"] for e in errors or [] if e.get("message")] or ["no reason given"]
    await transitions.fail(conn, record, [record_errors.provider_rejected(messages, system)])
    return "error"


async def record_operation(pool: asyncpg.Pool, attempt, result: PushResult) -> None:
    """Phase 3 of a push: the provider accepted the write; remember its operation."""
    async with pool.acquire() as conn, conn.transaction():
        current, record = await _locked(conn, attempt["id"])
        await apply(conn, current, record, result)


async def refused(pool: asyncpg.Pool, attempt, messages: list[str]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        current, record = await _locked(conn, attempt["id"])
        await apply(conn, current, record, PushResult(operation_id=None, status="failed", record_id=None,
                                                       errors=[{"message": m} for m in messages]))


async def on_write_notice(conn, notice: WriteNotice) -> str:
    """A write finished at the provider (inside the webhook processor's transaction)."""
    result = notice.result
    attempt = await conn.fetchrow("SELECT id FROM push_attempts WHERE operation_id = $1", result.operation_id)
    if attempt is None:  # the write's answer may not be stored yet: try again shortly
        raise RetryableError(f"push operation {result.operation_id} is not known (yet)")
    current, record = await _locked(conn, attempt["id"])
    structlog.contextvars.bind_contextvars(record_id=str(record["id"]), operation_id=result.operation_id)
    await conn.execute("INSERT INTO synced_record_history (record_id, kind, detail) VALUES ($1, 'webhook', $2)",
                       record["id"], {"data_type": result.data_type, "status": result.status, "body": result.raw})
    if result.status in ("failed", "timed_out") and current["status"] not in ("success", "failed", "timed_out"):
        await send_command(conn, SettlePush(attempt_id=current["id"]))  # fetch the details
        return "details_requested"
    return await apply(conn, current, record, result)


async def settle_push(pool: asyncpg.Pool, adapter: ProviderAdapter, command: SettlePush) -> None:
    """Command: read the operation at the provider and settle the attempt with it."""
    attempt_id = command.attempt_id
    row = await pool.fetchrow("SELECT a.*, c.provider_company_id FROM push_attempts a JOIN synced_records r "
                                  "ON r.id = a.record_id JOIN accounting_connections c ON c.id = r.connection_id "
                                  "WHERE a.id = $1", attempt_id)
    if row is None or row["status"] in ("success", "failed", "timed_out"):
        return
    if row["operation_id"] is None:  # never answered: push the same key again (idempotent)
        record = await pool.fetchrow(
            "SELECT r.* FROM synced_records r JOIN accounting_connections c ON c.id = r.connection_id "
            "WHERE r.id = $1 AND r.sync_status = 'pending' AND r.push_generation = $2 "
            "AND (c.throttled_until IS NULL OR c.throttled_until < now())", row["record_id"], row["generation"])
        if record is not None:  # (a paused connection's writes resume by themselves)
            async with pool.acquire() as conn, conn.transaction():
                await transitions.request_push(conn, record)
        return
    result = await adapter.get_push_operation(row["provider_company_id"], row["operation_id"])
    async with pool.acquire() as conn, conn.transaction():
        current, record = await _locked(conn, attempt_id)
        outcome = await apply(conn, current, record, result)
    log.info("push.settled", attempt_id=str(attempt_id), outcome=outcome)


async def request_reconcile(conn, attempt) -> None:
    await send_command(conn, ReconcilePush(attempt_id=attempt["id"]))


async def reconcile_push(pool: asyncpg.Pool, adapter: ProviderAdapter, command: ReconcilePush) -> None:
    """Command: a write with an unknown outcome. Look the document up before writing again."""
    attempt_id = command.attempt_id
    async with pool.acquire() as conn:
        attempt = await conn.fetchrow("SELECT * FROM push_attempts WHERE id = $1", attempt_id)
        record = await conn.fetchrow("SELECT * FROM synced_records WHERE id = $1", attempt["record_id"])
        connection = await conn.fetchrow("SELECT * FROM accounting_connections WHERE id = $1", record["connection_id"])
    if record["sync_status"] != "pending" or record["push_generation"] != attempt["generation"]:
        return
    found = None  # an update of a known record is safe to repeat: no look-up needed
    if not record["platform_object_id"]:
        found = await adapter.find_written(
            connection["provider_company_id"], connection["provider_connection_id"],
            WriteAttempt(record["object_type"], attempt["data_type"], attempt["body"] or {},
                         str(attempt["idempotency_key"]), attempt["operation_id"]))
    async with pool.acquire() as conn, conn.transaction():
        current, locked = await _locked(conn, attempt_id)
        if locked["sync_status"] != "pending" or locked["push_generation"] != current["generation"]:
            return
        if current["status"] in ("sending", "pending"):
            await conn.execute("UPDATE push_attempts SET status = 'timed_out', completed_at = now() WHERE id = $1",
                               attempt_id)
        if found:
            log.info("push.reconciled_found", record_id=str(record["id"]), platform_object_id=found)
            await transitions.done(conn, locked, found, None)
        elif await conn.fetchval("SELECT count(*) FROM push_attempts WHERE record_id = $1 AND status = 'timed_out' "
                                 "AND NOT coalesce(errors @> '[{\"server_error\": true}]', false)",
                                 locked["id"]) >= MAX_TIMEOUTS:  # a 5xx answer is no timeout
            await transitions.fail(conn, locked, [record_errors.SyncError(
                "provider_timed_out", f"The accounting system did not complete the write {MAX_TIMEOUTS} times "
                "in a row; nothing was created there", "Check the accounting system is reachable, then push again")])
        else:
            log.info("push.reconciled_absent", record_id=str(record["id"]))
            await transitions.repush(conn, locked, "the unanswered write did not create the document")
