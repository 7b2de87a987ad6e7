"""SQL for accounting connections and their API shape."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from contracts.events import make_event
from services.core import metrics
from services.partner_webhooks import fanout

ACTIVE = ("pending_auth", "connected")


def to_api(row: asyncpg.Record | dict) -> dict:
    """The connection as the API returns it (AccountingConnectionResponse)."""
    return {
        "id": str(row["id"]),
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "business_info": row["business_info"],
        "connection_url": row["connection_url"] or "",
        "errors": row["errors"],
        "last_pull": row["last_pull"].isoformat() if row["last_pull"] else None,
        "platform": row["platform"],
        "status": row["status"],
    }


async def get(conn, connection_id: uuid.UUID, entity_id: uuid.UUID | None = None,
              *, for_update: bool = False) -> asyncpg.Record | None:
    sql = "SELECT * FROM accounting_connections WHERE id = $1"
    args: list = [connection_id]
    if entity_id is not None:
        sql += " AND entity_id = $2"
        args.append(entity_id)
    return await conn.fetchrow(sql + (" FOR UPDATE" if for_update else ""), *args)


async def active_for_entity(conn, entity_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM accounting_connections WHERE entity_id = $1 AND status = ANY($2::text[])",
        entity_id, list(ACTIVE))


async def connected_for_entity(conn, entity_id: uuid.UUID) -> asyncpg.Record | None:
    """The entity's connected connection. Not locked: events of one entity must not queue behind
    each other; a disconnect racing with an event is caught when the push runs."""
    return await conn.fetchrow("SELECT * FROM accounting_connections WHERE entity_id = $1 "
                               "AND status = 'connected'", entity_id)


async def list_for_entity(conn, entity_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM accounting_connections WHERE entity_id = $1 ORDER BY created_at, id", entity_id)


async def pending_for_company(conn, provider: str, company_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM accounting_connections WHERE provider = $1 AND provider_company_id = $2 "
        "AND status = ANY($3::text[]) ORDER BY created_at DESC FOR UPDATE",
        provider, company_id, list(ACTIVE))


async def update(conn, row: asyncpg.Record, **fields) -> asyncpg.Record:
    """Change fields; a status change is announced on ledgersync.events (outbox)."""
    fields["updated_at"] = datetime.now(UTC)
    cols = list(fields)
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
    new = await conn.fetchrow(f"UPDATE accounting_connections SET {sets} WHERE id = $1 RETURNING *",
                              row["id"], *fields.values())
    if new["status"] != row["status"]:
        await announce(conn, new, row["status"])
    return new


async def announce(conn, new: asyncpg.Record, previous: str | None) -> None:
    """Publish accounting_connection.status_changed (outbox; null ``previous`` for a new one) and
    the partner webhooks it causes, in one round trip."""
    metrics.CONNECTION_STATUS.labels(new["status"]).inc()
    data = {**to_api(new), "previous_status": previous}
    event = make_event("accounting_connection.status_changed", data, entity_id=str(new["entity_id"]))
    await fanout.announce(conn, event, new["id"])
