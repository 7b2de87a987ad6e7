"""Command ``pull_connection``: pull fresh datasets page by page, store, match, finish the run."""
from __future__ import annotations

import asyncio
import uuid

import structlog

from services.connections import repo as connections
from services.connections.service import start_sync
from services.connections.sync import finish_run
from services.core.errors import ProviderRejected, ProviderUnavailable
from services.core.resources import Resources
from services.pull import match, store
from services.push.events import push_created_meanwhile

log = structlog.get_logger(__name__)
PAGE_SIZE = 500
PAGE_ATTEMPTS = 3


async def _pull_type(res: Resources, connection, data_type: str) -> int:
    """Every page of one dataset; a failing page is retried, rows are upserted (no duplicates)."""
    pulled_at, count, page = store.now(), 0, 1
    company = connection["provider_company_id"]
    while True:
        for attempt in range(1, PAGE_ATTEMPTS + 1):
            try:
                result = await res.adapter.list_page(company, data_type, page, PAGE_SIZE)
                break
            except ProviderUnavailable as exc:
                if attempt == PAGE_ATTEMPTS:
                    raise
                log.warning("pull.page_retry", data_type=data_type, page=page, error=str(exc))
                await asyncio.sleep(min(exc.retry_after or 0.5 * 2 ** attempt, 10))
        async with res.pool.acquire() as conn:
            count += await store.store_page(conn, connection, data_type, result.results, pulled_at)
        if not result.has_next:
            break
        page += 1
    async with res.pool.acquire() as conn:
        await store.mark_missing_deleted(conn, connection["id"], data_type, pulled_at)
    return count


async def _provider_run(res: Resources, connection) -> uuid.UUID:
    """A read the provider finished on its own (not asked by us) is recorded as a run too."""
    async with res.pool.acquire() as conn, conn.transaction():
        run, _ = await start_sync(conn, connection, "webhook", refresh=False)
    return run["id"]


async def pull_connection(res: Resources, args: dict) -> None:
    connection_id = uuid.UUID(args["connection_id"])
    connection = await connections.get(res.pool, connection_id)
    if connection is None:
        return
    run_id = uuid.UUID(args["sync_run_id"]) if args.get("sync_run_id") else None
    if connection["status"] != "connected":
        if run_id:
            async with res.pool.acquire() as conn:
                await finish_run(conn, run_id, "failed", error=f"connection is {connection['status']}; "
                                 "nothing was pulled")
        log.info("pull.skipped", status=connection["status"])
        return
    run_id = run_id or await _provider_run(res, connection)
    failed = args.get("failed") or {}
    if failed and not args.get("data_types"):  # e.g. access revoked: record why, do not loop
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(failed.items()))
        await _fail(res, connection, run_id, f"the accounting system could not be read ({reasons})", {})
        return
    wanted = [t for t in (args.get("data_types") or store.PULLED_TYPES) if t in store.PULLED_TYPES]
    pulled: dict[str, int] = {}
    try:
        for data_type in wanted:
            pulled[data_type] = await _pull_type(res, connection, data_type)
    except ProviderRejected as exc:  # e.g. access revoked mid-pull: record it, do not loop
        await _fail(res, connection, run_id, f"the provider refused the pull: {exc}", {"pulled": pulled})
        return
    await finish_pull(res, connection, run_id, pulled)


async def _fail(res: Resources, connection, run_id, why: str, stats: dict) -> None:
    """A pull that cannot succeed: the run fails and the connection says why (no retry loop)."""
    async with res.pool.acquire() as conn, conn.transaction():
        await finish_run(conn, run_id, "failed", error=why, stats=stats)
        current = await connections.get(conn, connection["id"], for_update=True)
        await connections.update(conn, current, errors=[{"message": f"The last sync failed: {why}"}])
    log.warning("pull.failed", reason=why)


async def finish_pull(res: Resources, connection, run_id, pulled: dict[str, int]) -> None:
    """Match what was pulled and complete the run, in one transaction."""
    pulled_at = store.now()
    async with res.pool.acquire() as conn, conn.transaction():
        current = await connections.get(conn, connection["id"], for_update=True)
        currency = await conn.fetchval("SELECT base_currency FROM entities WHERE id = $1", current["entity_id"])
        counterparts = await match.match_counterpart_roles(conn, current, pulled_at)
        products = await match.match_product_names(conn, current, pulled_at, currency)
        if current["last_pull"] is None and current["connected_at"] is not None:
            await push_created_meanwhile(conn, current)
        await connections.update(conn, current, last_pull=pulled_at, errors=None)
        stats = {"pulled": pulled, "counterparts": counterparts, "products": products,
                 "matched": counterparts["matched"] + products["matched"],
                 "created": products["created"],
                 "failed": counterparts["multiple_matches"] + products["multiple_matches"]}
        if run_id:
            await finish_run(conn, run_id, "completed", stats=stats)
    log.info("pull.completed", connection_id=str(connection["id"]), **{k: stats[k] for k in
                                                                    ("matched", "created", "failed")})
