"""Command ``push_record``: prerequisites → body → one provider write per logical push.

Phase 1 (a transaction) decides and stores the attempt with its idempotency key; phase 2
calls the provider; phase 3 stores the operation. A crash between 2 and 3 re-sends the same
key on redelivery, so the accounting system never gets a second document."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import structlog

from contracts.commands import PushRecord
from services.core.errors import ProviderRateLimited, ProviderRejected, ProviderUnavailable
from services.providers.base import ProviderAdapter
from services.push import inputs, parking, transitions, settle
from services.push.before_create import look_before_create
from services.sync import record_errors
from services.sync.lookup import contact_name
from services.sync.money import TotalsMismatch

log = structlog.get_logger(__name__)


def _within_window(adapter: ProviderAdapter, attempt) -> bool:
    """The provider still answers this attempt's key with its first answer (re-sending is safe)."""
    window = adapter.idempotency_window
    return window is not None and datetime.now(UTC) - attempt["requested_at"] <= window


async def _plan(conn, adapter: ProviderAdapter, connection, record):
    """(body, problems, wait_for): what to send, or why not, or what to wait for."""
    kind = record["object_type"]
    if kind in ("customer", "vendor"):
        row = await conn.fetchrow("SELECT * FROM counterparts WHERE id = $1", record["object_id"])
        if row is None:
            return None, [record_errors.counterpart_unknown(str(record["object_id"]), "")], None
        name = contact_name(row["name"], kind, connection["platform"], row["is_customer"] and row["is_vendor"])
        return adapter.write_body(kind, {**dict(row), "name": name}), [], None
    doc = await conn.fetchval("SELECT data FROM documents WHERE id = $1", record["object_id"])
    verdict, extra = await inputs.verdict(conn, connection, kind, doc)
    if verdict.errors:
        return None, verdict.errors, None
    if verdict.create_counterpart and kind != "payment_record":
        dep, _ = await transitions.ensure_record(conn, connection, inputs.ROLE_OF[kind],
                                             uuid.UUID(str(doc["counterpart_id"])), None)
        return None, [], dep["id"]
    if verdict.wait_for:
        return None, [], uuid.UUID(verdict.wait_for)
    try:
        body = adapter.write_body(kind, doc, verdict, **extra)
    except TotalsMismatch as exc:
        return None, [record_errors.SyncError("document_totals_inconsistent", f"The document's totals do not add up: {exc}",
                                  "Correct the document's totals upstream and issue it again")], None
    except ProviderRejected as exc:  # the provider cannot take this document at all (Railz: a void bill)
        return None, [record_errors.SyncError("provider_cannot_write", exc.message,
                                  "Record it in the accounting system by hand")], None
    return body, [], None


async def _prepare(pool: asyncpg.Pool, adapter: ProviderAdapter, record_id: uuid.UUID, generation: int):
    """Phase 1: (attempt, connection, body) to send, or None when there is nothing to send."""
    async with pool.acquire() as conn, conn.transaction():
        record = await conn.fetchrow("SELECT * FROM synced_records WHERE id = $1 FOR UPDATE", record_id)
        if record is None or record["sync_status"] != "pending" or record["push_generation"] != generation:
            log.info("push.command_stale")
            return None
        connection = await conn.fetchrow("SELECT * FROM accounting_connections WHERE id = $1", record["connection_id"])
        if connection["status"] != "connected":
            await transitions.fail(conn, record, [record_errors.SyncError(
                "connection_not_connected", f"The accounting connection is {connection['status']}",
                "Connect the entity's accounting system again, then push this record")])
            return None
        if connection["throttled_until"] and connection["throttled_until"] > datetime.now(UTC):
            await parking.park(conn, record_id, connection["id"], generation)
            return None
        attempt = await conn.fetchrow("SELECT * FROM push_attempts WHERE record_id = $1 AND generation = $2",
                                      record_id, generation)
        if attempt is not None and attempt["status"] != "sending":
            return None  # already written: its webhook (or the scheduler's re-check) settles it
        if attempt is not None and not _within_window(adapter, attempt):
            await settle.request_reconcile(conn, attempt)  # look before writing again
            return None
        if attempt is not None:  # the same write again: same key, same body (never a changed one)
            return attempt, connection, attempt["body"], record["platform_object_id"]
        body, problems, wait_for = await _plan(conn, adapter, connection, record)
        if problems:
            await transitions.fail(conn, record, problems)
            return None
        if wait_for:
            # lock the dependency: either its settlement sees our waiting_for, or we see it settled
            status = await conn.fetchval("SELECT sync_status FROM synced_records WHERE id = $1 FOR UPDATE", wait_for)
            if status != "pending":
                await transitions.request_push(conn, record)  # it settled meanwhile: decide again
                return None
            await conn.execute("UPDATE synced_records SET waiting_for = $2 WHERE id = $1", record_id, wait_for)
            log.info("push.waiting", waiting_for=str(wait_for))
            return None
        attempt = await conn.fetchrow(
            "INSERT INTO push_attempts (id, record_id, generation, idempotency_key, data_type, status, body) "
            "VALUES ($1, $2, $3, $4, $5, 'sending', $6) RETURNING *", uuid.uuid4(), record_id, generation,
            transitions.key(record_id, generation), adapter.data_type_of(record["object_type"]), body)
        return attempt, connection, body, record["platform_object_id"]


async def push_record(pool: asyncpg.Pool, adapter: ProviderAdapter, command: PushRecord) -> None:
    record_id, generation = command.record_id, command.generation
    if not await look_before_create(pool, adapter, record_id, generation):
        return
    prepared = await _prepare(pool, adapter, record_id, generation)
    if prepared is None:
        return
    attempt, connection, body, existing = prepared
    company, link, key = connection["provider_company_id"], connection["provider_connection_id"], \
        str(attempt["idempotency_key"])
    try:
        if existing:  # already in the accounting system (a canceled bill): change it, never add one
            result = await adapter.update(company, link, attempt["data_type"], existing, body, key)
        else:
            result = await adapter.push(company, link, attempt["data_type"], body, key)
    except ProviderRateLimited as exc:
        await parking.rate_limited(pool, connection["id"], record_id, generation, exc.retry_after)
        return
    except ProviderRejected as exc:
        messages = [e.get("message") or str(e) for e in exc.context.get("errors") or []] or [exc.message]
        await settle.refused(pool, attempt, messages)
        return
    except ProviderUnavailable as exc:
        if exc.status:  # the provider answered, with a 5xx: unknown outcome, but no timeout (settle.MAX_TIMEOUTS)
            await pool.execute("UPDATE push_attempts SET errors = $2 WHERE id = $1 AND status = 'sending'",
                               attempt["id"], [{"message": exc.message, "server_error": True}])
        raise
    log.info("push.sent", operation_id=result.operation_id, status=result.status, data_type=attempt["data_type"])
    await settle.record_operation(pool, attempt, result)

