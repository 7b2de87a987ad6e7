"""Subscriptions in PostgreSQL, always within one partner."""
from __future__ import annotations

import uuid

import asyncpg

from services.partner_webhooks.signing import new_secret  # noqa: F401 - re-exported

_FIELDS = ("object_type", "event_types", "url")


def to_api(row, *, with_secret: bool = False) -> dict:
    out = {k: row[k] for k in ("object_type", "url", "status")}
    out.update(id=str(row["id"]), event_types=list(row["event_types"]),
               created_at=row["created_at"].isoformat(), updated_at=row["updated_at"].isoformat())
    if with_secret:
        out["secret"] = row["secret"]
    return out


async def create(conn, partner_id: uuid.UUID, object_type: str, url: str, event_types: list[str],
                 api_version: str | None) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO partner_webhook_subscriptions (id, partner_id, object_type, event_types, url, "
        "secret, api_version) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        uuid.uuid4(), partner_id, object_type, event_types, url, new_secret(), api_version)


async def get(conn, partner_id: uuid.UUID, subscription_id: uuid.UUID, *, for_update=False):
    return await conn.fetchrow(
        "SELECT * FROM partner_webhook_subscriptions WHERE id = $1 AND partner_id = $2"
        + (" FOR UPDATE" if for_update else ""), subscription_id, partner_id)


async def change(conn, partner_id: uuid.UUID, subscription_id: uuid.UUID, **fields):
    """Set ``fields`` (object_type, event_types, url, status, secret); None if not the partner's."""
    cols = list(fields)
    sets = ", ".join(f"{c} = ${i + 3}" for i, c in enumerate(cols))
    return await conn.fetchrow(
        f"UPDATE partner_webhook_subscriptions SET {sets}, updated_at = now() "
        "WHERE id = $1 AND partner_id = $2 RETURNING *", subscription_id, partner_id, *fields.values())


async def delete(pool: asyncpg.Pool, partner_id: uuid.UUID, subscription_id: uuid.UUID) -> bool:
    """Remove it; its deliveries still pending end as failed (the log keeps them)."""
    async with pool.acquire() as conn, conn.transaction():
        gone = await conn.fetchval("DELETE FROM partner_webhook_subscriptions WHERE id = $1 "
                                   "AND partner_id = $2 RETURNING id", subscription_id, partner_id)
        if gone:
            await conn.execute(
                "UPDATE partner_webhook_deliveries SET status = 'failed', leased_until = NULL, "
                "response = 'subscription deleted', updated_at = now() "
                "WHERE subscription_id = $1 AND status = 'pending'", subscription_id)
    return gone is not None


async def matching(conn, partner_id: uuid.UUID, object_type: str, event: str) -> list[asyncpg.Record]:
    """The partner's enabled subscriptions that want this event."""
    return await conn.fetch(
        "SELECT * FROM partner_webhook_subscriptions WHERE partner_id = $1 AND object_type = $2 "
        "AND status = 'enabled' AND (event_types = '{}' OR $3 = ANY(event_types)) ORDER BY id",
        partner_id, object_type, event)
