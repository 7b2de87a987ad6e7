"""After a pull, mappings stay as they are (``sync.mappings``): what the matching must leave alone,
and which mapped objects the accounting system no longer has."""
from __future__ import annotations

import structlog

from services.synced_records import repo as records
from services.sync import record_errors
from services.sync.mappings import Mirrored, mapped_object_gone, pull_may_match

log = structlog.get_logger(__name__)
# object type → its dataset, and the other dataset the same id may be listed in (a Xero contact)
DATASETS = {"customer": ("customers", "suppliers"), "vendor": ("suppliers", "customers"), "product": ("items", None)}


async def settled(conn, connection_id, object_type: str) -> dict[str, str]:
    """Object ids (as str) whose record a pull must not match again → their status."""
    rows = await conn.fetch("SELECT object_id, sync_status FROM synced_records WHERE connection_id = $1 "
                            "AND object_type = $2", connection_id, object_type)
    return {str(r["object_id"]): r["sync_status"] for r in rows if not pull_may_match(r["sync_status"])}


async def mapped_ids(conn, connection_id, object_type: str) -> set[str]:
    """Provider ids that records of this type are mapped to (a renamed item stays mapped)."""
    rows = await conn.fetch("SELECT provider_object_id FROM synced_records WHERE connection_id = $1 AND "
                            "object_type = $2 AND provider_object_id IS NOT NULL", connection_id, object_type)
    return {r["provider_object_id"] for r in rows}


def usable(rows) -> dict:
    """Pulled records a match may point at, by provider id: archived ones are not (a pull would
    otherwise link what the next check turns into an error, every pull)."""
    return {r["provider_id"]: r for r in rows
            if "Archived" not in ((r["data"] or {}).get("status"), (r["data"] or {}).get("itemStatus"))}


def _mirrored(row, prefix: str) -> Mirrored | None:
    if row[f"{prefix}_deleted"] is None:
        return None
    data = row[f"{prefix}_data"] or {}
    return Mirrored(row[f"{prefix}_deleted"], data.get("status") or data.get("itemStatus"))


async def mark_gone(conn, connection, pulled_types, pulled_at, system: str) -> int:
    """Done records whose object was deleted or archived in the accounting system → ``error``
    (``mapped_object_deleted``, mapping cleared so a manual push looks up and creates)."""
    count = 0
    for object_type, (dataset, other) in DATASETS.items():
        if dataset not in pulled_types:
            continue
        listed_since = await conn.fetchval("SELECT max(pulled_at) FROM provider_records WHERE connection_id = $1 "
                                           "AND data_type = $2", connection["id"], dataset)
        rows = await conn.fetch(
            """SELECT r.*, coalesce(c.name, pr.name, r.provider_object_id) AS object_name,
                      p.is_deleted AS own_deleted, p.data AS own_data, o.is_deleted AS other_deleted,
                      o.data AS other_data
               FROM synced_records r
               LEFT JOIN counterparts c ON c.id = r.object_id LEFT JOIN products pr ON pr.id = r.object_id
               LEFT JOIN provider_records p ON p.connection_id = r.connection_id AND p.data_type = $3
                    AND p.provider_id = r.provider_object_id
               LEFT JOIN provider_records o ON o.connection_id = r.connection_id AND o.data_type = $4
                    AND o.provider_id = r.provider_object_id
               WHERE r.connection_id = $1 AND r.object_type = $2 AND r.sync_status = 'done'
                 AND r.provider_object_id IS NOT NULL""",
            connection["id"], object_type, dataset, other or "")
        for row in rows:
            mirrored = _mirrored(row, "own") or _mirrored(row, "other")
            gone = mapped_object_gone(row["sync_status"], mirrored, mapped_at=row["updated_at"],
                                      listed_since=listed_since)
            if gone is None:
                continue
            problem = record_errors.mapped_object_deleted(object_type, row["object_name"], row["provider_object_id"],
                                                   system, gone)
            await records.save(conn, connection, object_type, row["object_id"], sync_status="error",
                               errors=record_errors.as_errors([problem]), provider_object_id=None,
                               platform_object_id=None, last_pulled_at=pulled_at)
            log.warning("pull.mapped_object_gone", record_id=str(row["id"]), object_type=object_type,
                        provider_object_id=row["provider_object_id"], how=gone)
            count += 1
    return count
