"""Settling pushes: the provider's answer, its webhooks, and look-ups of unanswered writes."""
from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog

from contracts.commands import ReconcilePush, SettlePush
from services.core.commands import send_command
from services.providers.base import ProviderAdapter, PushResult, WriteAttempt, WriteNotice
from services.push import transitions, write_notices
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


# an attempt and its record, both locked, in one round trip; the record carries its connection's
# platform (``connection_platform``), for the messages people read, and whether a record waits
# for it (``has_waiting``: none can start waiting while it is locked, see ``pusher._write``)
_LOCKED = ("SELECT r.*, c.platform AS connection_platform, "
           "EXISTS (SELECT 1 FROM synced_records w WHERE w.waiting_for = r.id) AS has_waiting, "
           "a.id AS attempt_id, a.generation AS attempt_generation, "
           "a.status AS attempt_status, a.requested_at AS attempt_requested_at, a.operation_id AS attempt_operation_id "
           "FROM push_attempts a JOIN synced_records r ON r.id = a.record_id JOIN accounting_connections c "
           "ON c.id = r.connection_id WHERE a.{} = $1 FOR UPDATE OF a, r")
# the same for several operations (a batch of webhooks), locked in one order (record, attempt)
_LOCKED_MANY = _LOCKED.replace("WHERE a.{} = $1", "WHERE a.operation_id = ANY($1::text[]) ORDER BY r.id, a.id")
_ATTEMPT = ("id", "generation", "status", "requested_at", "operation_id")


def _split(row):
    attempt = {name: row[f"attempt_{name}"] for name in _ATTEMPT} | {"record_id": row["id"]}
    return attempt, {k: v for k, v in row.items() if not k.startswith("attempt_")}


async def _locked(conn, column: str, value):
    """(attempt, record) locked, by the attempt's ``id`` or ``operation_id``; Nones when unknown."""
    row = await conn.fetchrow(_LOCKED.format(column), value)
    return (None, None) if row is None else _split(row)


async def locked_operations(conn, operation_ids: list[str]) -> dict[str, tuple[dict, dict]]:
    """{operation id: (attempt, record)} of the known ones, all locked in one round trip."""
    found: dict[str, tuple[dict, dict]] = {}
    for row in await conn.fetch(_LOCKED_MANY, operation_ids):
        found.setdefault(row["attempt_operation_id"], _split(row))
    return found


def _record_of(row) -> lifecycle.SyncedRecord:
    """The record's part of a ``_PUSH`` row."""
    return lifecycle.SyncedRecord(row["record_id"], row["object_type"], row["sync_status"], row["push_generation"],
                                  row["platform_object_id"])


def answer_of(result: PushResult) -> dict:
    """What the provider answered about a write, as kept on the attempt (its story)."""
    return {"at": datetime.now(UTC).isoformat(), "status": result.status, "operation_id": result.operation_id,
            "record_id": result.record_id, "errors": result.errors, "message": result.error_message}


def decide(attempt, record, result: PushResult):
    """(lifecycle outcome of the provider's answer, the errors kept on the attempt)."""
    errors = lifecycle.answer_errors(result.errors, result.error_message)
    system = platform_name({"platform": record["connection_platform"]})
    return lifecycle.on_result(lifecycle.PushAttempt.from_row(attempt), lifecycle.SyncedRecord.from_row(record),
                               result.status, result.record_id, errors, system), errors


async def apply(conn, attempt, record, result: PushResult) -> str:
    """Move the attempt and (when it is the record's current push) the record; never backwards."""
    await conn.execute("UPDATE push_attempts SET answers = answers || $2::jsonb WHERE id = $1",
                       attempt["id"], [answer_of(result)])
    outcome, errors = decide(attempt, record, result)
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
    """Phase 3 of a push: the provider accepted the write; remember its operation. The usual
    answer (pending) is one statement; a webhook that came first is settled with it here."""
    operation_id = result.operation_id
    if operation_id and not await write_notices.noted(pool, attempt["id"], result, answer_of(result)) \
            and result.status == "pending":
        return
    async with pool.acquire() as conn, conn.transaction():
        # the rendezvous rows first, then the attempt: the processor locks in that order too
        early = await write_notices.claim(conn, operation_id, attempt["id"]) if operation_id else []
        current, record = await _locked(conn, "id", attempt["id"])
        await apply(conn, current, record, result)
        for notice in early:
            current, record = await _locked(conn, "id", attempt["id"])
            outcome, _ = await heard(conn, current, record, notice, (None, None))
            log.info("push.early_webhook_settled", operation_id=notice.operation_id, outcome=outcome)


async def refused(pool: asyncpg.Pool, attempt, messages: list[str]) -> None:
    await record_operation(pool, attempt, PushResult(operation_id=None, status="failed", record_id=None,
                                                     errors=[{"message": m} for m in messages]))


async def on_write_notice(conn, notice: WriteNotice, delivery: tuple[str, str], locked=None,
                          touched: set | None = None) -> tuple[str, bool]:
    """A write finished at the provider (inside the webhook processor's transaction, ``delivery``:
    (provider, webhook_id)); (outcome, whether the delivery was marked processed here).
    ``locked``: (attempt, record) as this transaction locked them already (``locked_operations``);
    ``touched``: the records settled in this transaction so far (and those they freed), to add to."""
    result = notice.result
    current, record = locked or await _locked(conn, "operation_id", result.operation_id)
    if current is None:  # phase 3 has not stored the operation (yet): it settles the write with this
        attempt_id = await write_notices.note_early(conn, result, delivery[1])
        current, record = (None, None) if attempt_id is None else await _locked(conn, "id", attempt_id)
        if current is None:  # stored meanwhile? (the rendezvous row waited for its commit)
            current, record = await _locked(conn, "operation_id", result.operation_id)
        if current is None:
            return "early", False
    return await heard(conn, current, record, result, delivery, touched)


async def heard(conn, current, record, result: PushResult, delivery, touched: set | None = None) -> tuple[str, bool]:
    """A webhook about a known attempt: kept in the record's story, then settled (a done write in
    one statement, with ``delivery`` marked), or its details fetched (a refusal's reasons)."""
    structlog.contextvars.bind_contextvars(record_id=str(record["id"]), operation_id=result.operation_id)
    if touched is not None:
        touched.add(record["id"])
    if isinstance(lifecycle.on_notice(lifecycle.PushAttempt.from_row(current), result.status), lifecycle.FetchDetails):
        await write_notices.story(conn, record["id"], result)
        await send_command(conn, SettlePush(attempt_id=current["id"]))  # fetch the details
        return "details_requested", False
    outcome, errors = decide(current, record, result)
    if isinstance(outcome, lifecycle.Done):
        freed = await write_notices.settle_done(conn, current, record, result, answer_of(result), errors,
                                                outcome.platform_id, delivery,
                                                deferrable=record.get("has_waiting") is False)
        if freed and touched is not None:
            touched.update(freed)
        if freed:
            rows = await conn.fetch("SELECT * FROM synced_records WHERE id = ANY($1::uuid[])", freed)
            await transitions.for_dependents(conn, record, rows, ok=True)
        return "done", delivery[0] is not None
    await write_notices.story(conn, record["id"], result)
    return await apply(conn, current, record, result), False


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
                await write_notices.forget(conn, row["operation_id"])  # its webhook may never come
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
