"""Provider webhooks about connections and data reads, applied inside the processor's transaction."""
from __future__ import annotations

from datetime import UTC, datetime

import structlog

from services.connections import repo, service
from contracts.commands import PullConnection
from services.core.commands import send_command
from services.providers.base import ConnectionNotice, ReadNotice

log = structlog.get_logger(__name__)


def _target(rows, provider_connection_id: str):
    for row in rows:
        if row["provider_connection_id"] == provider_connection_id:
            return row
    return next((r for r in rows if r["status"] == "pending_auth" and not r["provider_connection_id"]),
                None)


async def on_connection_notice(conn, provider: str, notice: ConnectionNotice) -> str:
    link = notice.connection
    rows = await repo.pending_for_company(conn, provider, notice.company_id)
    if notice.change == "connected":
        target = _target(rows, link.id)
        if target is None:
            return "no_pending_connection"
        if target["status"] == "connected":
            return "already_connected"
        row = await repo.update(conn, target, status="connected", platform=link.platform,
                                provider_connection_id=link.id, business_info=link.business_info,
                                errors=None, connected_at=datetime.now(UTC))
        structlog.contextvars.bind_contextvars(connection_id=str(row["id"]))
        log.info("connection.connected", platform=link.platform)
        await service.start_sync(conn, row, "connected")  # the initial pull
        return "connected"
    target = next((r for r in rows if r["provider_connection_id"] == link.id), None)
    if target is None:
        return "no_active_connection"
    structlog.contextvars.bind_contextvars(connection_id=str(target["id"]))
    if notice.change == "failed":
        message = link.error or "The accounting platform refused the connection"
        await repo.update(conn, target, errors=[{"message": message}])
        log.warning("connection.failed", error=message)
        return "failed"
    status = notice.change
    await repo.update(conn, target, status=status)
    log.info("connection.lost", status=status)
    return status


async def on_read_notice(conn, provider: str, notice: ReadNotice) -> str:
    """Fresh data at the provider: queue the pull of every connection of that company."""
    rows = await conn.fetch(
        "SELECT c.id, r.id AS run_id FROM accounting_connections c "
        "LEFT JOIN sync_runs r ON r.connection_id = c.id AND r.status = 'running' "
        "WHERE c.provider = $1 AND c.provider_company_id = $2 AND c.status = 'connected'",
        provider, notice.company_id)
    for row in rows:
        await send_command(conn, PullConnection(connection_id=row["id"], sync_run_id=row["run_id"],
                                                data_types=notice.data_types, failed=notice.failures))
    return "pull_queued" if rows else "no_connected_connection"
