"""Storing pulled datasets: upsert by (connection, data type, provider id), idempotent."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
from pydantic import TypeAdapter

from contracts.types import LenientUtcDatetime

RECORD_NS = uuid.UUID("6b1c3f0e-2d6f-4a1e-9d0c-4b1e5c7a9f21")
PULLED_TYPES = ("accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills")
NAME_FIELD = {"accounts": "name", "taxRates": "name", "customers": "customerName",
              "suppliers": "supplierName", "items": "name", "invoices": "invoiceNumber",
              "bills": "reference"}
_when = TypeAdapter(LenientUtcDatetime)


def record_id(connection_id, data_type: str, provider_id: str) -> uuid.UUID:
    """Our stable id for a provider record (what the API shows as a tax rate's or account's id)."""
    return uuid.uuid5(RECORD_NS, f"{connection_id}:{data_type}:{provider_id}")


def parse_time(value) -> datetime | None:
    """A provider timestamp (possibly without offset: taken as UTC); None when absent or garbled."""
    try:
        return _when.validate_python(value) if value else None
    except ValueError:
        return None


def _modified(record: dict) -> datetime | None:
    return parse_time(record.get("modifiedDate"))


async def store_page(conn: asyncpg.Connection, connection, data_type: str, records: list[dict],
                     pulled_at: datetime) -> int:
    rows = [(record_id(connection["id"], data_type, str(r["id"])), connection["id"],
             connection["entity_id"], data_type, str(r["id"]), r.get(NAME_FIELD.get(data_type, "name")),
             r, bool((r.get("metadata") or {}).get("isDeleted")), _modified(r), pulled_at)
            for r in records if r.get("id") is not None]
    await conn.executemany(
        """INSERT INTO provider_records (id, connection_id, entity_id, data_type, provider_id, name, data,
                                         is_deleted, modified_at, pulled_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (connection_id, data_type, provider_id) DO UPDATE
           SET name = EXCLUDED.name, data = EXCLUDED.data, is_deleted = EXCLUDED.is_deleted,
               modified_at = EXCLUDED.modified_at, pulled_at = EXCLUDED.pulled_at""", rows)
    return len(rows)


async def mark_missing_deleted(conn: asyncpg.Connection, connection_id, data_type: str,
                               pulled_at: datetime) -> int:
    """Records the accounting system no longer lists (after a complete pull) are deleted there."""
    status = await conn.execute(
        "UPDATE provider_records SET is_deleted = true WHERE connection_id = $1 AND data_type = $2 "
        "AND pulled_at < $3 AND NOT is_deleted", connection_id, data_type, pulled_at)
    return int(status.split()[-1])


async def records(conn, connection_id, data_type: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM provider_records WHERE connection_id = $1 AND data_type = $2 "
                            "AND NOT is_deleted ORDER BY provider_id", connection_id, data_type)


def now() -> datetime:
    return datetime.now(UTC)
