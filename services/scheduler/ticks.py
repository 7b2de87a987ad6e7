"""What the scheduler does each tick; every query claims rows so replicas never double up."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

import asyncpg
import structlog

from services.connections import service
from services.connections.runs import finish_run
from contracts.commands import SettlePush
from services.core.commands import send_command
from services.partner_webhooks import deliveries as partner_webhooks

log = structlog.get_logger(__name__)
SYNC_RUN_TIMEOUT = timedelta(minutes=30)


async def schedule_syncs(pool: asyncpg.Pool, interval: timedelta) -> int:
    """Start a sync for every connected connection whose last run began an interval ago or more."""
    started = 0
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """SELECT c.* FROM accounting_connections c
               WHERE c.status = 'connected'
                 AND (c.throttled_until IS NULL OR c.throttled_until < now())
                 AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.connection_id = c.id
                                 AND r.started_at > now() - $1::interval)
               ORDER BY c.id LIMIT 500 FOR UPDATE OF c SKIP LOCKED""", interval)
        for row in rows:
            _, fresh = await service.start_sync(conn, row, "schedule")
            started += fresh
    if started:
        log.info("scheduler.syncs_started", count=started)
    return started


async def expire_sync_runs(pool: asyncpg.Pool, timeout: timedelta = SYNC_RUN_TIMEOUT) -> int:
    """A run the provider never finished is failed, so the next one can start."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch("SELECT id FROM sync_runs WHERE status = 'running' "
                                "AND started_at < now() - $1::interval FOR UPDATE SKIP LOCKED", timeout)
        for row in rows:
            await finish_run(conn, row["id"], "failed",
                             error=f"no data from the provider within {int(timeout.total_seconds())} s")
    return len(rows)


async def purge(pool: asyncpg.Pool) -> None:
    await pool.execute("DELETE FROM revoked_tokens WHERE expires_at < now()")
    await pool.execute("DELETE FROM operator_sessions WHERE expires_at < now()")
    await pool.execute("DELETE FROM operator_login_attempts WHERE attempted_at < now() - interval '1 day'")
    await partner_webhooks.purge(pool)


async def recheck_pushes(pool: asyncpg.Pool, after: timedelta) -> int:
    """Writes with no settled answer after a while: ask the provider what became of them."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "UPDATE push_attempts SET checked_at = now() WHERE id IN (SELECT id FROM push_attempts "
            "WHERE status IN ('sending', 'pending') AND checked_at < now() - $1::interval "
            "ORDER BY checked_at LIMIT 200 FOR UPDATE SKIP LOCKED) RETURNING id", after)
        for row in rows:
            await send_command(conn, SettlePush(attempt_id=row["id"]))
    if rows:
        log.info("scheduler.pushes_rechecked", count=len(rows))
    return len(rows)


def extra_ticks(pool: asyncpg.Pool, stale_push_after: timedelta) -> list:
    """Ticks of the push pipeline: stale-push re-checks."""
    return [partial(recheck_pushes, pool, stale_push_after)]
