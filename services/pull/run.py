"""Command ``pull_connection``: pull fresh datasets page by page, store, match, finish the run."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from services.connections import repo as connections
from services.connections.service import start_sync
from contracts.commands import PullConnection
from services.connections.runs import finish_run
from services.core.errors import ProviderError, ProviderRejected, ProviderUnavailable
from services.core.retry import backoff_s
from services.providers.base import ProviderAdapter
from services.pull import mapped, match, store
from services.sync.platforms import platform_name

log = structlog.get_logger(__name__)
PAGE_SIZE = 500
PAGE_ATTEMPTS = 3
# inside finish_pull's transaction, after a connection's first pull (the push pipeline's hook)
AfterFirstPull = Callable[[asyncpg.Connection, asyncpg.Record], Awaitable[None]]


async def _pull_type(pool: asyncpg.Pool, adapter: ProviderAdapter, connection, data_type: str) -> int:
    """Every page of one dataset; a failing page is retried, rows are upserted (no duplicates)."""
    pulled_at, count, page = store.now(), 0, 1
    company = connection["provider_company_id"]
    while True:
        for attempt in range(1, PAGE_ATTEMPTS + 1):
            try:
                result = await adapter.list_page(company, data_type, page, PAGE_SIZE)
                break
            except ProviderUnavailable as exc:
                if attempt == PAGE_ATTEMPTS:
                    raise
                log.warning("pull.page_retry", data_type=data_type, page=page, error=str(exc))
                await asyncio.sleep(backoff_s(attempt, base_s=1.0, cap_s=10.0, retry_after=exc.retry_after))
        async with pool.acquire() as conn:
            count += await store.store_page(conn, connection, data_type, result.results, pulled_at)
        if not result.has_next:
            break
        page += 1
    async with pool.acquire() as conn:
        await store.mark_missing_deleted(conn, connection["id"], data_type, pulled_at)
    return count


async def _provider_run(pool: asyncpg.Pool, connection) -> uuid.UUID:
    """A read the provider finished on its own (not asked by us) is recorded as a run too."""
    async with pool.acquire() as conn, conn.transaction():
        run, _ = await start_sync(conn, connection, "webhook", refresh=False)
    return run["id"]


async def pull_connection(pool: asyncpg.Pool, adapter: ProviderAdapter, command: PullConnection, *,
                          after_first_pull: AfterFirstPull | None = None) -> None:
    connection = await connections.get(pool, command.connection_id)
    if connection is None:
        return
    run_id = command.sync_run_id
    if connection["status"] != "connected":
        if run_id:
            async with pool.acquire() as conn:
                await finish_run(conn, run_id, "failed", error=f"connection is {connection['status']}; "
                                 "nothing was pulled")
        log.info("pull.skipped", status=connection["status"])
        return
    run_id = run_id or await _provider_run(pool, connection)
    failed = command.failed
    if failed and not command.data_types:  # e.g. access revoked: record why, do not loop
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(failed.items()))
        await _fail(pool, connection, run_id, f"the accounting system could not be read ({reasons})", {})
        return
    wanted = [t for t in (command.data_types or store.PULLED_TYPES) if t in store.PULLED_TYPES]
    pulled: dict[str, int] = {}
    try:
        for data_type in wanted:
            pulled[data_type] = await _pull_type(pool, adapter, connection, data_type)
    except ProviderRejected as exc:  # e.g. access revoked mid-pull: record it, do not loop
        await _fail(pool, connection, run_id, f"the provider refused the pull: {exc}", {"pulled": pulled})
        return
    info = None
    if connection["business_info"] is None and connection["provider_connection_id"]:
        try:  # the notice did not carry it (Railz): ask once, the pull does not depend on it
            info = await adapter.business_info(connection["provider_company_id"], connection["provider_connection_id"])
        except ProviderError as exc:
            log.warning("pull.business_info_failed", error=str(exc))
    await finish_pull(pool, connection, run_id, pulled, after_first_pull, info)


async def _fail(pool: asyncpg.Pool, connection, run_id, why: str, stats: dict) -> None:
    """A pull that cannot succeed: the run fails and the connection says why (no retry loop)."""
    async with pool.acquire() as conn, conn.transaction():
        await finish_run(conn, run_id, "failed", error=why, stats=stats)
        current = await connections.get(conn, connection["id"], for_update=True)
        await connections.update(conn, current, errors=[{"message": f"The last sync failed: {why}"}])
    log.warning("pull.failed", reason=why)


async def finish_pull(pool: asyncpg.Pool, connection, run_id, pulled: dict[str, int],
                      after_first_pull: AfterFirstPull | None = None, business_info: dict | None = None) -> None:
    """Match what was pulled and complete the run, in one transaction."""
    pulled_at = store.now()
    async with pool.acquire() as conn, conn.transaction():
        current = await connections.get(conn, connection["id"], for_update=True)
        currency = await conn.fetchval("SELECT base_currency FROM entities WHERE id = $1", current["entity_id"])
        counterparts = await match.match_counterpart_roles(conn, current, pulled_at)
        products = await match.match_product_names(conn, current, pulled_at, currency)
        gone = await mapped.mark_gone(conn, current, pulled, pulled_at, platform_name(current))
        if current["last_pull"] is None and current["connected_at"] is not None and after_first_pull:
            await after_first_pull(conn, current)
        await connections.update(conn, current, last_pull=pulled_at, errors=None,
                                 **({"business_info": business_info} if business_info else {}))
        stats = {"pulled": pulled, "counterparts": counterparts, "products": products,
                 "matched": counterparts["matched"] + products["matched"],
                 "created": products["created"],
                 "failed": counterparts["multiple_matches"] + products["multiple_matches"] + gone,
                 "mapped_objects_gone": gone}
        if run_id:
            await finish_run(conn, run_id, "completed", stats=stats)
    log.info("pull.completed", connection_id=str(connection["id"]), **{k: stats[k] for k in
                                                                    ("matched", "created", "failed")})
