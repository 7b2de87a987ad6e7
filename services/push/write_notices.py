"""The statements that settle a write: its operation id stored (phase 3), a webhook that came
before it (``push_operations``, migration 0014), and a done write settled in one statement."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog

from services.core import deferred_writes
from services.providers.base import PushResult
from services.synced_records import repo
from services.sync.record_lifecycle import SETTLED
from services.core.logging import info_on

log = structlog.get_logger(__name__)
_info_on = info_on(__name__)  # INFO lines' fields gathered only when written

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
# the same for the answers of several pushes at once ($1-$4 one element each, $5 SETTLED), in their order
_NOTED_MANY = """WITH given AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::bool[]) WITH ORDINALITY
    AS g(attempt_id, operation_id, answer, pending, n)),
op AS (
    INSERT INTO push_operations (operation_id, attempt_id) SELECT operation_id, attempt_id FROM given ORDER BY operation_id
    ON CONFLICT (operation_id) DO UPDATE SET attempt_id = EXCLUDED.attempt_id
    RETURNING operation_id, notice IS NOT NULL AS early),
stored AS (
    UPDATE push_attempts a SET answers = a.answers || jsonb_build_array(g.answer),
        status = CASE WHEN a.status = ANY($5::text[]) THEN a.status ELSE 'pending' END,
        operation_id = CASE WHEN a.status = ANY($5::text[]) THEN a.operation_id
                            ELSE coalesce(a.operation_id, g.operation_id) END
    FROM given g JOIN op USING (operation_id) WHERE a.id = g.attempt_id AND g.pending AND NOT op.early)
SELECT op.early FROM given g JOIN op USING (operation_id) ORDER BY g.n"""
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
    was stored on the attempt: settle both in one transaction). The answers that arrive while
    one such statement is under way are stored together in the next one (``_Noting``)."""
    group = _noting.get(id(pool))
    if group is None:
        group = _noting[id(pool)] = _Noting(pool)
    return await group.note((attempt_id, result.operation_id, answer, result.status == "pending"))


async def _noted_one(pool, attempt_id, operation_id: str, answer: dict, pending: bool) -> bool:
    return await pool.fetchval(_NOTED, attempt_id, operation_id, [answer], list(SETTLED), pending)


class _Noting:
    """Group commit of phase 3: a statement is sent at once when none is under way; the answers
    that come meanwhile wait for it and go together in the next one (one round trip for them
    all). If that statement fails, each is stored alone (each caller gets its own outcome)."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.waiting: list[tuple[tuple, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def note(self, args: tuple) -> bool:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((args, future))
        if self.task is None:
            self.task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        batch: list[tuple[tuple, asyncio.Future]] = []
        try:
            while self.waiting:
                batch, later, ops = [], [], set()
                for args, future in self.waiting:  # one operation once per statement (an upsert's rule)
                    (later if args[1] in ops else batch).append((args, future))
                    ops.add(args[1])
                self.waiting = later
                await self._store(batch)
        except BaseException:  # stopping: nobody is left waiting for an answer that never comes
            for _, future in (*batch, *self.waiting):
                future.cancel()
            self.waiting = []
            raise
        finally:
            self.task = None
            if not self.waiting and _noting.get(id(self.pool)) is self:
                del _noting[id(self.pool)]

    async def _store(self, batch: list[tuple[tuple, asyncio.Future]]) -> None:
        if len(batch) > 1:
            try:
                found = await self.pool.fetch(_NOTED_MANY, *map(list, zip(*(a for a, _ in batch), strict=True)),
                                              list(SETTLED))
            except Exception:  # noqa: BLE001 - each alone below, with its own outcome
                log.warning("push.noted_together_failed", pushes=len(batch))
            else:
                for (_, future), row in zip(batch, found, strict=True):
                    if not future.done():
                        future.set_result(row["early"])
                return
        for args, future in batch:
            try:
                early = await _noted_one(self.pool, *args)
            except Exception as exc:  # noqa: BLE001 - the caller's own
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(early)


_noting: dict[int, _Noting] = {}  # by pool, while answers are being stored

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


class WaiterAppeared(RuntimeError):
    """A done write sent with its batch freed a record that had not been waiting when the batch
    locked it: the batch fails and its deliveries go one by one, each freeing what it frees."""


async def settle_done(conn, attempt, record, result: PushResult, answer: dict, errors, platform_id: str,
                      delivery: tuple[str | None, str | None], *, deferrable: bool = False) -> list:
    """A done write in one statement (``delivery``: (provider, webhook_id) to mark processed, or
    Nones); returns the ids of the records that waited for this one. ``deferrable`` (no record
    waited for this one when it was locked): in a batch's pipeline the statement goes with the
    batch's other writes, and returns []; should it free one after all, the batch fails."""
    now = datetime.now(UTC)
    row = {**record, "sync_status": "done", "errors": None, "platform_object_id": platform_id,
           "provider_object_id": platform_id, "platform_updated_at": now, "provider_updated_at": now,
           "updated_at": now}
    deferred = deferrable and deferred_writes.current() is not None

    def settled(found) -> None:
        if _info_on():
            log.info("push.done", record_id=str(record["id"]), platform_object_id=platform_id)
        if found["freed"] and deferred:
            raise WaiterAppeared(f"record {record['id']} freed {len(found['freed'])} after its batch locked it")
    found = await repo.announce(conn, record["sync_status"], row, also=_DONE, returning=_FREED, also_args=(
        result.operation_id, errors, [answer], attempt["id"], platform_id, now, history_detail(result), *delivery),
        deferrable=deferred, then=settled)
    return [] if found is None else found["freed"]
