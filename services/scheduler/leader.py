"""The scheduler: one leader at a time (Postgres advisory lock), ticks while it leads."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

log = structlog.get_logger(__name__)
LEADER_LOCK = 0x1ED65C4E


async def lead(pool: asyncpg.Pool, ticks: list[Callable[[], Awaitable[object]]],
               every_s: float = 15.0) -> None:
    """Hold the leader lock on one connection and run ``ticks`` every ``every_s``; followers wait."""
    while True:
        async with pool.acquire() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
                await asyncio.sleep(every_s)
                continue
            log.info("scheduler.leading")
            try:
                while True:
                    await conn.execute("SELECT 1")  # still holding the lock's session, or leave
                    for tick in ticks:
                        try:
                            await tick()
                        except (asyncpg.PostgresError, OSError) as exc:
                            log.warning("scheduler.tick_failed", tick=getattr(tick, "__name__", "?"),
                                        error=str(exc))
                    await asyncio.sleep(every_s)
            finally:  # the lock is released with the session; unlock explicitly when we can
                with contextlib.suppress(Exception):
                    await conn.execute("SELECT pg_advisory_unlock($1)", LEADER_LOCK)
