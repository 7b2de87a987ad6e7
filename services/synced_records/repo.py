"""Synced records: one per (connection, object_type, object_id); every status change is
announced as synced_record.status_changed through the outbox, with its partner webhooks."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import structlog

from contracts.events import make_event
from services.core import deferred_writes, metrics
from services.partner_webhooks import fanout
from services.synced_records import status_event
from services.core.logging import info_on

log = structlog.get_logger(__name__)
_info_on = info_on(__name__)  # INFO lines' fields gathered only when written
_TIMES = ("created_at", "updated_at", "last_pulled_at", "object_updated_at", "platform_updated_at",
          "provider_updated_at")


def to_api(row) -> dict:
    """The record as the API returns it (SyncRecordResource)."""
    out = {k: row[k] for k in ("object_type", "sync_status", "errors", "platform", "provider",
                               "provider_object_id", "platform_object_id")}
    out.update(id=str(row["id"]), object_id=str(row["object_id"]))
    out.update({k: row[k].isoformat() if row[k] else None for k in _TIMES})
    return out


async def get(conn, record_id: uuid.UUID, entity_id: uuid.UUID | None = None, *, for_update=False):
    sql = "SELECT * FROM synced_records WHERE id = $1" + (" AND entity_id = $2" if entity_id else "")
    args = [record_id] + ([entity_id] if entity_id else [])
    return await conn.fetchrow(sql + (" FOR UPDATE" if for_update else ""), *args)


async def find(conn, connection_id, object_type: str, object_id, *, for_update=False):
    return await conn.fetchrow(
        "SELECT * FROM synced_records WHERE connection_id = $1 AND object_type = $2 AND object_id = $3"
        + (" FOR UPDATE" if for_update else ""), connection_id, object_type, object_id)


# the history row, in the same statement as the event and its fan-out (services/partner_webhooks)
_HISTORY = (f"history AS (INSERT INTO synced_record_history (record_id, kind, detail) "
            f"VALUES (${fanout.FIRST_EXTRA_ARG}::uuid, 'status', ${fanout.FIRST_EXTRA_ARG + 1}::jsonb))")


# a caller's own CTEs in an announcement (``announce(also=…)``) number their parameters from here
FIRST_EXTRA_ARG = fanout.FIRST_EXTRA_ARG + 2


async def announce(conn, previous: str | None, row, *, also: str = "", also_args: tuple = (),
                   returning: str = "", deferrable: bool = False, then=None):
    """A status change: its history row, synced_record.status_changed (outbox) and the partner
    webhooks it causes, in one round trip of the caller's transaction. ``also``: the caller's own
    CTEs (parameters from ``FIRST_EXTRA_ARG``; the record's id is ``$17``) and ``returning`` their
    columns, in the same statement; then the status must change. Returns the statement's row;
    ``deferrable`` (nothing reads what it stores before the commit): inside a batch's pipeline it
    goes with the batch's other writes (``services.core.deferred_writes``) and returns None.
    ``then``: called with the row once the statement ran (now, or when the batch sent it)."""
    if previous == row["sync_status"] and not also:
        return None
    metrics.child(metrics.SYNCED_RECORDS, row["object_type"], row["sync_status"]).inc()
    try:
        event = status_event.built(row, previous)
    except status_event.Unusual:  # the contract model's own way (which refuses what it must)
        event = make_event(status_event.TYPE, {**to_api(row), "previous_status": previous},
                           entity_id=str(row["entity_id"]))
    detail = {"from": previous, "to": row["sync_status"], "errors": row["errors"]}
    statement = fanout.announcement(event, row["connection_id"], also=_HISTORY + (", " + also if also else ""),
                                    also_args=(row["id"], detail, *also_args), returning=returning)

    def announced(found) -> None:
        if _info_on():
            log.info("synced_record.status_changed", record_id=str(row["id"]), object_type=row["object_type"],
                     object_id=str(row["object_id"]), previous=previous, to=row["sync_status"],
                     event_id=event["id"], partner_deliveries=found["deliveries"])
        if then is not None:
            then(found)
    batch = deferred_writes.current() if deferrable else None
    if batch is not None:
        batch.add(statement[0], statement[1:], key=row["object_id"], then=announced)
        return None
    found = await conn.fetchrow(*statement)
    announced(found)
    return found


# every column of synced_records, in the order a new record's INSERT gives them
COLUMNS = ("id", "entity_id", "connection_id", "object_type", "object_id", "provider", "platform", "sync_status",
           "errors", "provider_object_id", "provider_updated_at", "platform_object_id", "platform_updated_at",
           "object_updated_at", "last_pulled_at", "created_at", "updated_at", "push_generation", "waiting_for")
_INSERT = (f"inserted AS (INSERT INTO synced_records ({', '.join(COLUMNS)}) VALUES "
           f"({', '.join(f'${FIRST_EXTRA_ARG + i}' for i in range(len(COLUMNS)))}) RETURNING id)")
# the caller's own CTEs stored with a new record (``stored(also=…)``) number their parameters from here
AFTER_INSERT_ARG = FIRST_EXTRA_ARG + len(COLUMNS)


class Unsaved(dict):
    """A new record, not stored yet: the row its INSERT will store (times from this process's
    clock, as ``created_at`` is the clock's anyway). ``stored`` inserts it together with its
    announcement, and with what the caller stores beside it, in one round trip."""


def new(connection, object_type: str, object_id, **fields) -> Unsaved:
    if unknown := set(fields) - set(COLUMNS):
        raise TypeError(f"synced_records has no column {', '.join(sorted(unknown))}")
    now = datetime.now(UTC)
    row = Unsaved({c: None for c in COLUMNS})
    row.update(id=uuid.uuid4(), entity_id=connection["entity_id"], connection_id=connection["id"],
               object_type=object_type, object_id=object_id, provider=connection["provider"],
               platform=connection["platform"], sync_status="pending", last_pulled_at=now, created_at=now,
               updated_at=now, push_generation=0)
    row.update(fields)
    return row


async def stored(conn, record, *, also: str = "", also_args: tuple = (), returning: str = "",
                 deferrable: bool = False):
    """``record`` as it is stored: an ``Unsaved`` one is inserted with its announcement (and the
    caller's CTEs, parameters from ``AFTER_INSERT_ARG``) in one statement and returned as a plain
    row; any other is returned as it is. ``deferrable``: as ``announce``'s (the insert may go
    with the batch's other writes, just before its commit)."""
    if not isinstance(record, Unsaved):
        return record
    row = dict(record)
    await announce(conn, None, row, also=_INSERT + (", " + also if also else ""),
                   also_args=(*(row[c] for c in COLUMNS), *also_args), returning=returning, deferrable=deferrable)
    return row


async def save(conn, connection, object_type: str, object_id, **fields) -> asyncpg.Record:
    """Create or change the record of an object; only given fields change."""
    current = await find(conn, connection["id"], object_type, object_id, for_update=True)
    now = datetime.now(UTC)
    if current is None:
        return await stored(conn, new(connection, object_type, object_id, **fields))
    changed = {k: v for k, v in fields.items() if current[k] != v}
    if not changed:
        return current
    if set(changed) - {"last_pulled_at"}:  # a pull that changes nothing else is not an update
        changed["updated_at"] = now
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(changed))
    row = await conn.fetchrow(f"UPDATE synced_records SET {sets} WHERE id = $1 RETURNING *",
                              current["id"], *changed.values())
    await announce(conn, current["sync_status"], row)
    return row
