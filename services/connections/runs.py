"""Running a sync: ask the provider for fresh data; the pull follows its read.completed webhook."""
from __future__ import annotations

import uuid

import asyncpg
import structlog

from contracts.commands import SyncConnection
from services.connections import repo
from services.core.errors import ProviderRejected
from services.providers.base import ProviderAdapter

log = structlog.get_logger(__name__)


async def finish_run(conn, run_id: uuid.UUID, status: str, *, error: str | None = None,
                     stats: dict | None = None) -> None:
    await conn.execute(
        "UPDATE sync_runs SET status = $2, error = $3, stats = stats || $4::jsonb, finished_at = now() "
        "WHERE id = $1 AND status = 'running'", run_id, status, error, stats or {})
    log.info("sync.finished", sync_run_id=str(run_id), status=status, error=error)


async def start_refresh(pool: asyncpg.Pool, adapter: ProviderAdapter, command: SyncConnection) -> None:
    """Command ``sync_connection``: a data refresh of every dataset of the connection's company."""
    run_id, connection_id = command.sync_run_id, command.connection_id
    row = await pool.fetchrow("SELECT c.*, r.status AS run_status FROM sync_runs r "
                              "JOIN accounting_connections c ON c.id = r.connection_id WHERE r.id = $1",
                              run_id)
    if row is None or row["run_status"] != "running":
        log.info("sync.run_not_running", sync_run_id=str(run_id))
        return
    if row["status"] != "connected":
        async with pool.acquire() as conn:
            await finish_run(conn, run_id, "failed",
                             error=f"connection {connection_id} is {row['status']}, not connected")
        return
    try:
        await adapter.refresh_all(row["provider_company_id"])  # retryable errors go to the retry tiers
    except ProviderRejected as exc:  # e.g. access revoked: the run fails and the connection says why
        why = f"provider refused the refresh: {exc}"
        async with pool.acquire() as conn, conn.transaction():
            await finish_run(conn, run_id, "failed", error=why)
            current = await repo.get(conn, connection_id, for_update=True)
            await repo.update(conn, current, errors=[{"message": f"The last sync failed: {why}"}])
        return
    log.info("sync.refresh_requested", company_id=row["provider_company_id"])
