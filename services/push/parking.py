"""Pushes parked while their connection is paused by the provider's rate limit.

A throttled push is not retried through the delay queues (thousands of one tenant's messages
circling there would stand in front of every other tenant's): it is parked in PostgreSQL and
acked. A loop in every push-worker releases parked pushes whose connection's pause is over, at
most ``per_connection`` per connection and round, as ordinary ``push_record`` commands; one
that meets the limit again is parked again. Replicas share the work (a row is released once)."""
from __future__ import annotations

import asyncio

import asyncpg
import structlog

from services.push import transitions

log = structlog.get_logger(__name__)

_CANDIDATES = """SELECT record_id FROM (
    SELECT p.record_id, row_number() OVER (PARTITION BY p.connection_id ORDER BY p.parked_at) AS n
    FROM parked_pushes p JOIN accounting_connections c ON c.id = p.connection_id
    WHERE c.throttled_until IS NULL OR c.throttled_until <= now()) ready WHERE n <= $1 LIMIT $2"""


async def park(conn, record_id, connection_id, generation: int) -> None:
    await conn.execute(
        "INSERT INTO parked_pushes (record_id, connection_id, generation) VALUES ($1, $2, $3) "
        "ON CONFLICT (record_id) DO UPDATE SET generation = EXCLUDED.generation", record_id, connection_id,
        generation)
    log.info("push.parked", reason="the connection is paused by the provider's rate limit")


async def rate_limited(pool: asyncpg.Pool, connection_id, record_id, generation: int,
                       retry_after: float | None) -> None:
    """The provider answered 429: pause the connection (every replica honours it) and park the push."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE accounting_connections SET throttled_until = GREATEST(coalesce("
                           "throttled_until, now()), now() + make_interval(secs => $2)) WHERE id = $1",
                           connection_id, float(retry_after or 30))
        await park(conn, record_id, connection_id, generation)
    log.warning("push.rate_limited", retry_after=retry_after)


async def release(pool: asyncpg.Pool, per_connection: int, limit: int = 500) -> int:
    """One round: the pushes whose pause is over go back to the command queue."""
    async with pool.acquire() as conn, conn.transaction():
        ids = [r["record_id"] for r in await conn.fetch(_CANDIDATES, per_connection, limit)]
        if not ids:
            return 0
        rows = await conn.fetch(
            "WITH freed AS (DELETE FROM parked_pushes WHERE record_id = ANY($1::uuid[]) RETURNING record_id, "
            "generation) SELECT r.id, f.generation AS push_generation FROM freed f JOIN synced_records r "
            "ON r.id = f.record_id WHERE r.sync_status = 'pending' AND r.push_generation = f.generation", ids)
        for row in rows:
            await transitions.request_push(conn, row)
    if rows:
        log.info("push.released", count=len(rows))
    return len(rows)


async def run_releases(pool: asyncpg.Pool, per_connection: int, every_s: float = 0.5) -> None:
    while True:
        try:
            await release(pool, per_connection)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("push.release_failed", error=str(exc))
        await asyncio.sleep(every_s)
