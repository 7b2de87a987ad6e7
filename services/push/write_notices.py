"""The statements that settle a write: its operation id stored (phase 3), a webhook that came
before it (``push_operations``, migration 0014), and a done write settled in one statement."""
from __future__ import annotations

from datetime import UTC, datetime

import structlog

from services.providers.base import PushResult
from services.synced_records import repo
from services.sync.record_lifecycle import SETTLED

log = structlog.get_logger(__name__)

# phase 3: the rendezvous row with the attempt, and (unless a webhook came first) the operation
# stored on the attempt: pending, never backwards (a settled attempt only gains the answer)
_NOTED = """WITH op AS (
    INSERT INTO push_operations (operation_id, attempt_id) VALUES ($2, $1)
    ON CONFLICT (operation_id) DO UPDATE SET attempt_id = EXCLUDED.attempt_id RETURNING notice IS NOT NULL AS early),
stored AS (
    UPDATE push_attempts SET answers = answers || $3::jsonb,
        status = CASE WHEN status = ANY($4::text[]) THEN status ELSE 'pending' END,
        operation_id = CASE WHEN status = ANY($4::text[]) THEN operation_id ELSE coalesce(operation_id, $2) END
    WHERE id = $1 AND $5::bool AND NOT (SELECT early FROM op))
SELECT early FROM op"""
# a webhook whose attempt is not known: its notice kept (the first one of that operation), unless
# phase 3 stored the operation meanwhile (then its attempt, settled by the webhook itself)
_EARLY = """INSERT INTO push_operations (operation_id, notice, webhook_id) VALUES ($1, $2, $3)
ON CONFLICT (operation_id) DO UPDATE SET notice = CASE WHEN push_operations.attempt_id IS NULL
    THEN coalesce(push_operations.notice, EXCLUDED.notice) ELSE push_operations.notice END
RETURNING attempt_id"""
# the rendezvous row of a settled write gone, unless another transaction holds it (a redelivered
# phase 3): that row is then left behind rather than waited for (the attempt's lock is held here
# already, and phase 3 takes the row first: waiting could deadlock)
_MET = ("DELETE FROM push_operations WHERE operation_id = (SELECT operation_id FROM push_operations "
        "WHERE operation_id = {} FOR UPDATE SKIP LOCKED)")
_N = repo.FIRST_EXTRA_ARG
# a done write: attempt, record, the webhook in its story, dependents freed, rendezvous row gone,
# delivery processed; with the announcement (history, outbox, partner webhooks) around it
_DONE = f"""attempt_done AS (
    UPDATE push_attempts SET status = 'success', operation_id = coalesce(operation_id, ${_N}), errors = ${_N + 1}::jsonb,
        completed_at = now(), answers = answers || ${_N + 2}::jsonb WHERE id = ${_N + 3}::uuid),
record_done AS (
    UPDATE synced_records SET sync_status = 'done', errors = NULL, platform_object_id = ${_N + 4},
        provider_object_id = ${_N + 4}, platform_updated_at = ${_N + 5}, provider_updated_at = ${_N + 5},
        updated_at = ${_N + 5} WHERE id = $17::uuid),
heard AS (INSERT INTO synced_record_history (record_id, kind, detail) VALUES ($17::uuid, 'webhook', ${_N + 6}::jsonb)),
freed AS (UPDATE synced_records SET waiting_for = NULL WHERE waiting_for = $17::uuid RETURNING id),
met AS ({_MET.format(f"${_N}")}),
processed AS (UPDATE webhook_deliveries SET processed_at = now(), outcome = 'done'
              WHERE provider = ${_N + 7} AND webhook_id = ${_N + 8})"""
_FREED = "(SELECT coalesce(array_agg(id), '{}') FROM freed) AS freed"

def history_detail(result: PushResult) -> dict:
    """A webhook about a write, as its record's story keeps it (synced_record_history 'webhook')."""
    return {"data_type": result.data_type, "status": result.status, "body": result.raw}

async def noted(pool, attempt_id, result: PushResult, answer: dict) -> bool:
    """Phase 3, one statement: True when a webhook about the operation came first (then nothing
    was stored on the attempt: settle both in one transaction)."""
    return await pool.fetchval(_NOTED, attempt_id, result.operation_id, [answer], list(SETTLED),
                               result.status == "pending")

async def note_early(conn, result: PushResult, webhook_id: str | None):
    """A webhook before its operation is stored: kept for phase 3; the attempt's id when phase 3
    stored it meanwhile (then settle it here)."""
    notice = {"status": result.status, "record_id": result.record_id, "errors": result.errors,
              "message": result.error_message, "data_type": result.data_type, "raw": result.raw}
    return await conn.fetchval(_EARLY, result.operation_id, notice, webhook_id)

async def claim(conn, operation_id: str, attempt_id) -> list[PushResult]:
    """The attempt's rendezvous rows gone, inside phase 3's transaction (an earlier operation's,
    too: one left by a crash before a resend); the early webhooks' results they held."""
    rows = await conn.fetch("DELETE FROM push_operations WHERE operation_id = $1 OR attempt_id = $2 "
                            "RETURNING operation_id, notice", operation_id, attempt_id)
    return [PushResult(operation_id=r["operation_id"], status=n["status"], record_id=n["record_id"],
                       errors=n["errors"] or [], raw=n["raw"] or {}, data_type=n["data_type"],
                       error_message=n["message"]) for r in rows if (n := r["notice"])]

async def forget(conn, operation_id: str) -> None:
    """The operation's rendezvous row gone (its write settled by reading it at the provider)."""
    await conn.execute("DELETE FROM push_operations WHERE operation_id = $1", operation_id)


async def story(conn, record_id, result: PushResult) -> None:
    """The webhook in its record's story; the write's rendezvous row, if any, is done with."""
    await conn.execute(f"WITH met AS ({_MET.format('$3')}) INSERT INTO "
                       "synced_record_history (record_id, kind, detail) VALUES ($1, 'webhook', $2)",
                       record_id, history_detail(result), result.operation_id)

async def settle_done(conn, attempt, record, result: PushResult, answer: dict, errors, platform_id: str,
                      delivery: tuple[str | None, str | None]) -> list:
    """A done write in one statement (``delivery``: (provider, webhook_id) to mark processed, or
    Nones); returns the ids of the records that waited for this one."""
    now = datetime.now(UTC)
    row = {**record, "sync_status": "done", "errors": None, "platform_object_id": platform_id,
           "provider_object_id": platform_id, "platform_updated_at": now, "provider_updated_at": now,
           "updated_at": now}
    found = await repo.announce(conn, record["sync_status"], row, also=_DONE, returning=_FREED, also_args=(
        result.operation_id, errors, [answer], attempt["id"], platform_id, now, history_detail(result), *delivery))
    log.info("push.done", record_id=str(record["id"]), platform_object_id=platform_id)
    return found["freed"]
