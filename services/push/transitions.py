"""Synced-record state changes of the push pipeline, inside the caller's transaction."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog

from contracts.commands import PushRecord
from services.core.commands import send_command
from services.core.errors import Conflict, NotFound
from services.synced_records import repo
from services.sync import record_errors
from services.sync import record_lifecycle as lifecycle
from services.sync.record_errors import SyncError

log = structlog.get_logger(__name__)


def key(record_id, generation: int) -> uuid.UUID:
    """The idempotency key of one logical push: the same for every retry of that push."""
    return uuid.uuid5(uuid.UUID(str(record_id)), f"push:{generation}")


async def request_push(conn, record, *, failed_with: BaseException | None = None) -> None:
    """Queue the record's current push (``failed_with``: as the delayed retry of a failed try)."""
    await send_command(conn, PushRecord(record_id=record["id"], generation=record["push_generation"]),
                       key=f"push:{record['id']}:{record['push_generation']}:{uuid.uuid4().hex[:8]}",
                       failed_with=failed_with)


async def ensure_record(conn, connection, object_type: str, object_id, object_updated_at) -> tuple[object, bool]:
    """The object's record, created pending and queued when new; (record, started)."""
    existing = await repo.find(conn, connection["id"], object_type, object_id, for_update=True)
    if existing is not None:
        return existing, False
    return await start(conn, connection, object_type, object_id, object_updated_at), True


async def start(conn, connection, object_type: str, object_id, object_updated_at):
    """A new record of the object (its caller found none), created pending and queued."""
    row = await repo.stored(conn, repo.new(connection, object_type, object_id, object_updated_at=object_updated_at))
    await request_push(conn, row)
    return row


async def repush(conn, record, reason: str) -> object:
    """A new logical push (new generation, new idempotency key), queued."""
    row = await renew(conn, record, reason)
    await request_push(conn, row)
    return row


async def renew(conn, record, reason: str) -> object:
    """A new logical push (new generation, new idempotency key); the caller pushes it."""
    row = await conn.fetchrow(
        "UPDATE synced_records SET push_generation = push_generation + 1, sync_status = 'pending', "
        "errors = NULL, waiting_for = NULL, updated_at = now() WHERE id = $1 RETURNING *", record["id"])
    await repo.announce(conn, record["sync_status"], row)
    log.info("push.requested_again", record_id=str(row["id"]), generation=row["push_generation"], reason=reason)
    return row


async def _with_in_flight(conn, record_id: uuid.UUID, entity_id: uuid.UUID | None):
    """The record, locked, and whether a write of its current push is out with no settled answer yet."""
    return await conn.fetchrow(
        "SELECT r.*, EXISTS (SELECT 1 FROM push_attempts a WHERE a.record_id = r.id AND a.generation = "
        "r.push_generation AND a.status IN ('sending', 'pending')) AS in_flight FROM synced_records r "
        "WHERE r.id = $1 AND ($2::uuid IS NULL OR r.entity_id = $2) FOR UPDATE", record_id, entity_id)


async def push_again(conn, record_id: uuid.UUID, entity_id: uuid.UUID | None = None):
    """A person fixed the cause (API, console): push again; a record that is done stays as it is."""
    row = await _with_in_flight(conn, record_id, entity_id)
    if row is None:
        raise NotFound("Synced record not found")
    match lifecycle.manual_push(lifecycle.SyncedRecord.from_row(row), row["in_flight"]):
        case lifecycle.Refuse(message):
            raise Conflict(message)
        case lifecycle.Repush(reason):
            row = await repush(conn, row, reason)
        case lifecycle.RequestAgain():
            await request_push(conn, row)  # same generation: never a second document
    return row


async def fail(conn, record, problems: list[SyncError]) -> None:
    connection = await conn.fetchrow("SELECT * FROM accounting_connections WHERE id = $1", record["connection_id"])
    await repo.save(conn, connection, record["object_type"], record["object_id"], sync_status="error",
                    errors=record_errors.as_errors(problems))
    await conn.execute("UPDATE synced_records SET waiting_for = NULL WHERE id = $1", record["id"])
    log.warning("push.failed", record_id=str(record["id"]), codes=[p.code for p in problems])
    await settle_dependents(conn, record, ok=False, why=problems[0].message)


async def done(conn, record, platform_id: str, completed_at: datetime | None) -> None:
    connection = await conn.fetchrow("SELECT * FROM accounting_connections WHERE id = $1", record["connection_id"])
    now = datetime.now(UTC)
    await repo.save(conn, connection, record["object_type"], record["object_id"], sync_status="done",
                    errors=None, platform_object_id=platform_id, provider_object_id=platform_id,
                    platform_updated_at=completed_at or now, provider_updated_at=now)
    log.info("push.done", record_id=str(record["id"]), platform_object_id=platform_id)
    await settle_dependents(conn, record, ok=True)


async def settle_dependents(conn, record, *, ok: bool, why: str = "") -> None:
    """Records waiting for this one: push them now, or fail them with the reason."""
    rows = await conn.fetch("UPDATE synced_records SET waiting_for = NULL WHERE waiting_for = $1 RETURNING *",
                            record["id"])
    await for_dependents(conn, record, rows, ok=ok, why=why)


async def for_dependents(conn, record, rows, *, ok: bool, why: str = "") -> None:
    """Records that waited for this one (no longer waiting): push them now, or fail them."""
    for row in rows:
        match lifecycle.for_dependent(record["object_type"], record["id"], row["object_type"], ok=ok, why=why):
            case lifecycle.Push():
                await request_push(conn, row)
            case lifecycle.Fail(problems):
                await fail(conn, row, list(problems))
