"""The scheduler: one leader at a time (Postgres advisory lock), ticks while it leads.

The lock lives in one database session. When the database restarts or terminates that session,
the lock is gone with it: the leader notices on its next check (before every tick), stops
ticking, and competes for the lock again, so there is still at most one leader."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

log = structlog.get_logger(__name__)
LEADER_LOCK = 0x1ED65C4E
Tick = Callable[[], Awaitable[object]]


async def _tick(tick: Tick) -> None:
    try:
        await tick()
    except (asyncpg.PostgresError, OSError) as exc:
        log.warning("scheduler.tick_failed", tick=getattr(tick, "__name__", "?"), error=str(exc))


async def _lead_while_locked(pool: asyncpg.Pool, ticks: list[Tick], every_s: float) -> None:
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
            await asyncio.sleep(every_s)
            return
        log.info("scheduler.leading")
        try:
            while True:
                for tick in ticks:
                    await conn.execute("SELECT 1")  # still holding the lock's session, or leave
                    await _tick(tick)
                await asyncio.sleep(every_s)
        finally:  # the lock is released with the session; unlock explicitly when we can
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.execute("SELECT pg_advisory_unlock($1)", LEADER_LOCK), 5)


async def lead(pool: asyncpg.Pool, ticks: list[Tick], every_s: float = 15.0) -> None:
    """Hold the leader lock on one connection and run ``ticks`` every ``every_s``; followers wait.
    A lost database session ends the leadership and the competition starts again."""
    while True:
        try:
            await _lead_while_locked(pool, ticks, every_s)
        except Exception as exc:  # noqa: BLE001 - mostly the database away; never give up leading
            log.warning("scheduler.lock_session_lost", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(min(every_s, 5.0))
