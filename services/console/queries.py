"""The SQL behind the console's pages (read-only; no secret column is ever selected)."""
from __future__ import annotations

import uuid
from datetime import timedelta

DAY = timedelta(hours=24)
OBJECT_TYPES = ("customer", "vendor", "product", "receivable", "credit_note", "bill", "payment_record")
STATUSES = ("pending", "error", "done")
_ENTITY_COLUMNS = "e.id, e.name, e.base_currency, e.partner_id, e.created_at, p.name AS partner_name"


async def overview(conn) -> dict:
    records: dict[str, dict[str, int]] = {}
    for row in await conn.fetch("SELECT object_type, sync_status, count(*) AS n FROM synced_records GROUP BY 1, 2"):
        records.setdefault(row["object_type"], {})[row["sync_status"]] = row["n"]
    return {
        "connections": await conn.fetch("SELECT status, count(*) AS n FROM accounting_connections "
                                        "GROUP BY status ORDER BY status"),
        "records": records,
        "errors": await conn.fetchrow(
            "SELECT (SELECT count(*) FROM synced_records WHERE sync_status = 'error' "
            "AND updated_at > now() - $1::interval) AS records, (SELECT count(*) FROM push_attempts "
            "WHERE status IN ('failed', 'timed_out') AND requested_at > now() - $1::interval) AS pushes, "
            "(SELECT count(*) FROM sync_runs WHERE status = 'failed' AND started_at > now() - $1::interval) "
            "AS sync_runs", DAY),
        "recent_errors": await conn.fetch(
            "SELECT id, entity_id, object_type, errors, updated_at FROM synced_records WHERE sync_status = 'error' "
            "AND updated_at > now() - $1::interval ORDER BY updated_at DESC LIMIT 10", DAY),
        "oldest_pending": await conn.fetchrow(
            "SELECT id, entity_id, object_type, object_id, updated_at FROM synced_records "
            "WHERE sync_status = 'pending' ORDER BY updated_at LIMIT 1"),
        "oldest_outbox": await conn.fetchrow(
            "SELECT id, routing_key, created_at, attempts, last_error FROM outbox WHERE published_at IS NULL "
            "ORDER BY id LIMIT 1"),
        "actions": await conn.fetch("SELECT * FROM operator_actions ORDER BY id DESC LIMIT 10"),
    }


async def partner_webhooks(conn) -> dict:
    """Deliveries to partners' webhook endpoints: waiting, given up on, the oldest waiting."""
    return await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'failed') "
        "AS failed, min(occurred_at) FILTER (WHERE status = 'pending') AS oldest FROM partner_webhook_deliveries")


async def pushes_by_hour(conn) -> dict:
    rows = await conn.fetch("SELECT date_trunc('hour', requested_at) AS hour, status, count(*) AS n "
                            "FROM push_attempts WHERE requested_at > now() - $1::interval GROUP BY 1, 2", DAY)
    return {(r["hour"], r["status"]): r["n"] for r in rows}


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def partners(conn, q: str) -> list:
    return await conn.fetch(
        "SELECT p.id, p.name, p.created_at, count(e.id) AS entities FROM partners p "
        "LEFT JOIN entities e ON e.partner_id = p.id WHERE $1 = '' OR p.name ILIKE $2 OR p.id::text = $1 "
        "GROUP BY p.id ORDER BY p.name LIMIT 200", q, _like(q))


async def entities(conn, q: str, partner_id: uuid.UUID | None) -> list:
    return await conn.fetch(
        f"SELECT {_ENTITY_COLUMNS}, (SELECT status FROM accounting_connections c WHERE c.entity_id = e.id "
        "ORDER BY c.created_at DESC LIMIT 1) AS connection_status, (SELECT count(*) FROM synced_records r "
        "WHERE r.entity_id = e.id AND r.sync_status = 'error') AS errors FROM entities e "
        "JOIN partners p ON p.id = e.partner_id WHERE ($1 = '' OR e.name ILIKE $2 OR e.id::text = $1) "
        "AND ($3::uuid IS NULL OR e.partner_id = $3) ORDER BY e.name LIMIT 200", q, _like(q), partner_id)


async def entity(conn, entity_id: uuid.UUID):
    return await conn.fetchrow(f"SELECT {_ENTITY_COLUMNS} FROM entities e JOIN partners p ON p.id = e.partner_id "
                               "WHERE e.id = $1", entity_id)


async def connections(conn, entity_id: uuid.UUID) -> list:
    return await conn.fetch("SELECT id, provider, status, platform, last_pull, errors, connected_at, created_at, "
                            "throttled_until FROM accounting_connections WHERE entity_id = $1 "
                            "ORDER BY created_at DESC", entity_id)


async def sync_runs(conn, entity_id: uuid.UUID) -> list:
    return await conn.fetch("SELECT * FROM sync_runs WHERE entity_id = $1 ORDER BY started_at DESC LIMIT 20",
                            entity_id)


async def records(conn, entity_id: uuid.UUID, object_type: str, status: str) -> list:
    return await conn.fetch(
        "SELECT id, object_type, object_id, sync_status, errors, platform_object_id, updated_at "
        "FROM synced_records WHERE entity_id = $1 AND ($2 = '' OR object_type = $2) "
        "AND ($3 = '' OR sync_status = $3) ORDER BY updated_at DESC LIMIT 200", entity_id, object_type, status)


async def action(conn, action_id: int, operator: str):
    return await conn.fetchrow("SELECT * FROM operator_actions WHERE id = $1 AND operator = $2",
                               action_id, operator)
