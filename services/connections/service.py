"""Connection use cases: create (consent link), disconnect, request a sync."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from services.connections import repo
from contracts.commands import SyncConnection
from services.core.commands import send_command
from services.core.db import in_transaction
from services.core.errors import Conflict, NotFound
from services.providers.base import ProviderAdapter

log = structlog.get_logger(__name__)
LINK_MARGIN = timedelta(hours=1)  # a link about to expire is renewed too


def _conflict(existing) -> Conflict:
    return Conflict(f"Entity already has an active accounting connection {existing['id']} "
                    f"(status {existing['status']}); disconnect it before creating a new one")


async def _company_for(pool: asyncpg.Pool, adapter: ProviderAdapter, entity) -> str:
    """The entity's provider company, created once (named after it, entity id in its tags)."""
    if entity["provider_company_id"]:
        return entity["provider_company_id"]
    company = await adapter.create_company(entity["name"], {"entity_id": str(entity["id"])})
    await pool.execute("UPDATE entities SET provider_company_id = $2 WHERE id = $1 "
                       "AND provider_company_id IS NULL", entity["id"], company.id)
    return await pool.fetchval("SELECT provider_company_id FROM entities WHERE id = $1", entity["id"])


async def create(pool: asyncpg.Pool, adapter: ProviderAdapter, provider: str, entity_id: uuid.UUID,
                 platform: str | None) -> asyncpg.Record:
    """Reserve the entity's single active slot, then ask the provider for the consent link."""
    connection_id = uuid.uuid4()
    async with pool.acquire() as conn:
        existing = await repo.active_for_entity(conn, entity_id)
        if existing:
            raise _conflict(existing)
        try:
            await conn.execute(
                "INSERT INTO accounting_connections (id, entity_id, provider, status, platform) "
                "VALUES ($1, $2, $3, 'pending_auth', $4)", connection_id, entity_id, provider, platform)
        except asyncpg.UniqueViolationError:
            raise _conflict(await repo.active_for_entity(conn, entity_id)) from None
    try:
        entity = await pool.fetchrow("SELECT * FROM entities WHERE id = $1", entity_id)
        company_id = await _company_for(pool, adapter, entity)
        if platform:
            link = await adapter.create_connection(company_id, platform)
            url, expires, provider_connection_id = link.link_url, link.link_expires_at, link.id
        else:
            company = await adapter.get_company(company_id)
            url, expires, provider_connection_id = company.link_url, company.link_expires_at, None
    except Exception:
        await pool.execute("DELETE FROM accounting_connections WHERE id = $1", connection_id)
        raise

    async def link(conn) -> asyncpg.Record:
        linked = await conn.fetchrow(
            "UPDATE accounting_connections SET provider_company_id = $2, provider_connection_id = $3, "
            "connection_url = $4, connection_url_expires_at = $5, updated_at = now() WHERE id = $1 RETURNING *",
            connection_id, company_id, provider_connection_id, url, expires)
        await repo.announce(conn, linked, None)  # pending_auth, now with its consent link
        return linked

    row = await in_transaction(pool, link)
    log.info("connection.created", connection_id=str(connection_id), company_id=company_id,
             platform=platform)
    return row


async def with_live_link(pool: asyncpg.Pool, adapter: ProviderAdapter, row: asyncpg.Record) -> asyncpg.Record:
    """A pending connection whose consent link has expired gets a fresh one (never a dead link)."""
    expires = row["connection_url_expires_at"]
    if row["status"] != "pending_auth" or expires is None or expires > datetime.now(UTC) + LINK_MARGIN:
        return row
    company = await adapter.get_company(row["provider_company_id"])
    renewed = await pool.fetchrow(
        "UPDATE accounting_connections SET connection_url = $2, connection_url_expires_at = $3, updated_at = now() "
        "WHERE id = $1 AND status = 'pending_auth' RETURNING *", row["id"], company.link_url, company.link_expires_at)
    log.info("connection.link_renewed", connection_id=str(row["id"]), expires_at=str(company.link_expires_at))
    return renewed or row


async def disconnect(pool: asyncpg.Pool, adapter: ProviderAdapter, entity_id: uuid.UUID,
                     connection_id: uuid.UUID) -> asyncpg.Record:
    row = await repo.get(pool, connection_id, entity_id)
    if row is None:
        raise NotFound("Accounting connection not found")
    if row["status"] not in repo.ACTIVE:
        return row  # already disconnected or deauthorized: nothing to do
    if row["provider_connection_id"]:
        await adapter.disconnect(row["provider_company_id"], row["provider_connection_id"])

    async def mark(conn) -> tuple[asyncpg.Record, bool]:
        current = await repo.get(conn, connection_id, for_update=True)
        if current["status"] not in repo.ACTIVE:
            return current, False
        return await repo.update(conn, current, status="disconnected"), True

    row, changed = await in_transaction(pool, mark)
    if not changed:
        return row
    log.info("connection.disconnected", connection_id=str(connection_id))
    return row


async def start_sync(conn, row, trigger: str, *, refresh: bool = True) -> tuple[asyncpg.Record, bool]:
    """Inside the caller's transaction: a running sync run for a connected connection, and
    whether this call started it (a run already going is not started twice)."""
    running = await conn.fetchrow(
        "SELECT * FROM sync_runs WHERE connection_id = $1 AND status = 'running'", row["id"])
    if running:
        return running, False
    run = await conn.fetchrow(
        "INSERT INTO sync_runs (id, connection_id, entity_id, trigger, status) "
        "VALUES ($1, $2, $3, $4, 'running') ON CONFLICT DO NOTHING RETURNING *",
        uuid.uuid4(), row["id"], row["entity_id"], trigger)
    if run is None:  # a concurrent request won the race
        return await conn.fetchrow("SELECT * FROM sync_runs WHERE connection_id = $1 "
                                   "AND status = 'running'", row["id"]), False
    if refresh:  # ask the provider for fresh data; its read.completed webhook starts the pull
        await send_command(conn, SyncConnection(connection_id=row["id"], sync_run_id=run["id"]))
    log.info("sync.requested", connection_id=str(row["id"]), sync_run_id=str(run["id"]),
             trigger=trigger)
    return run, True


async def request_sync(pool: asyncpg.Pool, entity_id: uuid.UUID | None, connection_id: uuid.UUID,
                       trigger: str) -> tuple[asyncpg.Record, bool]:
    async def start(conn) -> tuple[asyncpg.Record, bool]:
        row = await repo.get(conn, connection_id, entity_id)
        if row is None:
            raise NotFound("Accounting connection not found")
        if row["status"] != "connected":
            raise Conflict(f"Accounting connection {connection_id} is {row['status']}, not connected; "
                           "it cannot be synced")
        return await start_sync(conn, row, trigger)

    return await in_transaction(pool, start)
