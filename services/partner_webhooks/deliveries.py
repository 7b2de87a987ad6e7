"""Deliveries in PostgreSQL: claimed with leases (SKIP LOCKED, so replicas share the work),
at most a few in flight per subscription, and per (subscription, connection) oldest first."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

CHANNEL = "ledgersync_partner_webhooks"  # NOTIFY: deliveries are due
# Heads of each (subscription, ordering key) that are due, up to the subscription's free slots.
_CANDIDATES = """
SELECT c.id FROM partner_webhook_subscriptions s
CROSS JOIN LATERAL (
    SELECT d.id, d.next_attempt_at FROM partner_webhook_deliveries d
    WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= now()
      AND (d.leased_until IS NULL OR d.leased_until < now())
      AND NOT EXISTS (SELECT 1 FROM partner_webhook_deliveries e
                      WHERE e.subscription_id = d.subscription_id AND e.ordering_key = d.ordering_key
                        AND e.status = 'pending' AND (e.occurred_at, e.id) < (d.occurred_at, d.id))
    ORDER BY d.next_attempt_at, d.id
    LIMIT GREATEST($2 - (SELECT count(*) FROM partner_webhook_deliveries f
                         WHERE f.subscription_id = s.id AND f.status = 'pending'
                           AND f.leased_until >= now()), 0)
) c
WHERE s.status = 'enabled'
ORDER BY c.next_attempt_at LIMIT $1
"""
_LEASE = """
UPDATE partner_webhook_deliveries SET leased_until = now() + $2::interval
WHERE id IN (SELECT id FROM partner_webhook_deliveries WHERE id = ANY($1::uuid[]) AND status = 'pending'
             AND (leased_until IS NULL OR leased_until < now()) FOR UPDATE SKIP LOCKED)
RETURNING id
"""
_CLAIMED = """
SELECT d.id AS delivery_id, d.subscription_id, d.requests_made_count,
       COALESCE(d.give_up_at, d.created_at + $2::interval) AS give_up_at,
       e.id, e.created_at, e.action, e.description, e.entity_id, e.object, e.object_id, e.object_type,
       s.url, s.secret, s.api_version
FROM partner_webhook_deliveries d JOIN partner_events e ON e.id = d.event_id
JOIN partner_webhook_subscriptions s ON s.id = d.subscription_id
WHERE d.id = ANY($1::uuid[])
"""


async def claim(pool: asyncpg.Pool, limit: int, per_subscription: int, lease: timedelta,
                retry_for: timedelta) -> list:
    """Lease up to ``limit`` due deliveries, fairly across subscriptions; a delivery without its
    own ``give_up_at`` (not replayed) gives up ``retry_for`` after it was made."""
    async with pool.acquire() as conn, conn.transaction():
        ids = [r["id"] for r in await conn.fetch(_CANDIDATES, limit, per_subscription)]
        if not ids:
            return []
        leased = [r["id"] for r in await conn.fetch(_LEASE, ids, lease)]
        return list(await conn.fetch(_CLAIMED, leased, retry_for)) if leased else []


async def record(pool: asyncpg.Pool, row, *, started_at: datetime, duration_ms: int,
                 status_code: int | None, response: str, outcome: str,
                 next_attempt_at: datetime | None) -> None:
    """Keep the attempt and settle the delivery: delivered, retried later, or failed."""
    attempt = row["requests_made_count"] + 1
    status = {"delivered": "delivered", "retrying": "pending", "failed": "failed"}[outcome]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO partner_webhook_attempts (delivery_id, attempt, started_at, duration_ms, url, "
            "status_code, error) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
            row["delivery_id"], attempt, started_at, duration_ms, row["url"], status_code,
            None if outcome == "delivered" else response)
        await conn.execute(
            "UPDATE partner_webhook_deliveries SET status = $2, requests_made_count = $3, url = $4, "
            "response_status_code = $5, response = $6, next_attempt_at = COALESCE($7, next_attempt_at), "
            "leased_until = NULL, updated_at = now() WHERE id = $1 AND status = 'pending'",
            row["delivery_id"], status, attempt, row["url"], status_code, response, next_attempt_at)


async def release(pool: asyncpg.Pool, ids: list[uuid.UUID]) -> None:
    """Give back leases of deliveries not sent (shutdown): they are due again at once."""
    await pool.execute("UPDATE partner_webhook_deliveries SET leased_until = NULL "
                       "WHERE id = ANY($1::uuid[]) AND status = 'pending'", ids)


async def oldest_undelivered_s(pool: asyncpg.Pool) -> float:
    age = await pool.fetchval(
        "SELECT extract(epoch FROM now() - min(d.occurred_at)) FROM partner_webhook_deliveries d "
        "JOIN partner_webhook_subscriptions s ON s.id = d.subscription_id AND s.status = 'enabled' "
        "WHERE d.status = 'pending'")
    return float(age or 0.0)


async def replay(pool: asyncpg.Pool, retry_for: timedelta, subscription_id: uuid.UUID | None,
                 since: datetime | None) -> list[asyncpg.Record]:
    """Failed deliveries (of subscriptions that still exist) become pending again, due now."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "UPDATE partner_webhook_deliveries d SET status = 'pending', next_attempt_at = now(), "
            "give_up_at = now() + $1::interval, leased_until = NULL, updated_at = now() "
            "FROM partner_webhook_subscriptions s WHERE s.id = d.subscription_id AND d.status = 'failed' "
            "AND ($2::uuid IS NULL OR d.subscription_id = $2) AND ($3::timestamptz IS NULL OR "
            "d.occurred_at >= $3) RETURNING d.id, d.event_id, d.subscription_id, d.action, d.url",
            retry_for, subscription_id, since)
        await conn.execute(f"NOTIFY {CHANNEL}")
    return list(rows)


async def purge(pool: asyncpg.Pool, keep: timedelta = timedelta(days=90)) -> None:
    """Events and their deliveries are kept three months, as Monite guarantees."""
    await pool.execute("DELETE FROM partner_events WHERE received_at < now() - $1::interval", keep)
