"""The cap of concurrent provider calls per company, held across replicas in PostgreSQL.

Every company has ``cap`` slot rows; a call runs while its process holds a lease on one
(``FOR UPDATE SKIP LOCKED``, so replicas never share a slot). A lease ends when given back or,
for a crashed holder, at ``expires_at``. To keep the database out of most calls, a process
passes a slot it leased to its own next waiting call, or keeps it idle a moment, for at most
``hold_s`` after leasing it; then it goes back, so other replicas get their turn."""
from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import asyncpg
import structlog

from services.core import db

log = structlog.get_logger(__name__)

_LEASE = """UPDATE provider_call_slots s SET holder = $3, expires_at = now() + make_interval(secs => $4)
FROM (SELECT company_id, slot FROM provider_call_slots WHERE company_id = $1 AND slot <= $2
      AND (holder IS NULL OR expires_at < now()) ORDER BY slot LIMIT $5 FOR UPDATE SKIP LOCKED) free
WHERE s.company_id = free.company_id AND s.slot = free.slot RETURNING s.slot"""
_RELEASE = ("UPDATE provider_call_slots SET holder = NULL, expires_at = NULL "
            "WHERE company_id = $1 AND slot = ANY($2::int[]) AND holder = $3")
_SEED = ("INSERT INTO provider_call_slots (company_id, slot) SELECT $1, g FROM generate_series(1, $2) g "
         "ON CONFLICT DO NOTHING")


@dataclass
class _Company:
    free: list[tuple[int, float]] = field(default_factory=list)  # (slot, leased at), unused
    waiters: deque[asyncio.Future] = field(default_factory=deque)
    polling: bool = False
    leasing: bool = False  # a call is asking the database for a slot of its own right now
    seeded: bool = False


class LocalSlots:
    """The same cap in one process's memory: for tools and tests that run no replicas."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def slot(self, key: str):
        return self._semaphores.setdefault(key, asyncio.Semaphore(self.cap))

    async def close(self) -> None:
        return None


class PgSlots:
    def __init__(self, pool: asyncpg.Pool, cap: int, *, call_timeout_s: float, hold_s: float = 1.0,
                 idle_s: float = 0.2, poll_s: float = 0.05) -> None:
        self.pool, self.cap, self.hold_s, self.idle_s, self.poll_s = pool, cap, hold_s, idle_s, poll_s
        self.lease_s = hold_s + call_timeout_s + 5.0  # a crashed holder's slots come back after this
        self.holder = uuid.uuid4()
        self._companies: dict[str, _Company] = {}
        self._unkeyed = LocalSlots(cap)  # calls about no company (integrations, new companies)
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    @contextlib.asynccontextmanager
    async def slot(self, key: str):
        if not key:
            async with self._unkeyed.slot(key):
                yield
            return
        slot, leased_at = await self._take(key)
        try:
            yield
        finally:
            self._give(key, slot, leased_at)

    async def _lease(self, key: str, want: int) -> list[int]:
        company = self._companies[key]
        if not company.seeded:
            await self.pool.execute(_SEED, key, self.cap)
            company.seeded = True
        rows = await self.pool.fetch(_LEASE, key, self.cap, self.holder, self.lease_s, want)
        return [r["slot"] for r in rows]

    async def _take(self, key: str) -> tuple[int, float]:
        company = self._companies.setdefault(key, _Company())
        while company.free:
            slot, at = company.free.pop()
            if time.monotonic() - at < self.hold_s:
                return slot, at
            self._release_later(key, [slot])
        if not company.waiters and not company.leasing:  # the others wait for the poller: one ask at a time
            company.leasing = True
            try:
                leased = await self._lease(key, 1)
            finally:
                company.leasing = False
            if leased:
                return leased[0], time.monotonic()
        waiter = asyncio.get_running_loop().create_future()
        company.waiters.append(waiter)
        if not company.polling:  # set here, not when the poller first runs: one poller per company
            company.polling = True
            self._spawn(self._poll(key, company))
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._give(key, *waiter.result())
            raise

    async def _poll(self, key: str, company: _Company) -> None:
        """While calls wait here, ask the database for free slots for all of them."""
        try:
            while True:
                waiting = sum(1 for w in company.waiters if not w.done())
                if not waiting:
                    return
                try:
                    leased = await self._lease(key, waiting)
                except Exception as exc:  # noqa: BLE001 - the waiters must not hang: try again shortly
                    log.warning("call_slots.lease_failed", company_id=key, error=repr(exc))
                    leased = []
                now = time.monotonic()
                for slot in leased:
                    self._hand(key, company, slot, now)
                if not leased:
                    await asyncio.sleep(self.poll_s)
        finally:
            company.polling = False

    def _give(self, key: str, slot: int, leased_at: float) -> None:
        company = self._companies[key]
        if time.monotonic() - leased_at >= self.hold_s:
            self._release_later(key, [slot])
            return
        self._hand(key, company, slot, leased_at)

    def _hand(self, key: str, company: _Company, slot: int, leased_at: float) -> None:
        while company.waiters:
            waiter = company.waiters.popleft()
            if not waiter.done():
                waiter.set_result((slot, leased_at))
                return
        if self._closed:
            self._release_later(key, [slot])
            return
        company.free.append((slot, leased_at))
        asyncio.get_running_loop().call_later(self.idle_s, self._idle, key, slot, leased_at)

    def _idle(self, key: str, slot: int, leased_at: float) -> None:
        company = self._companies[key]
        if (slot, leased_at) in company.free:
            company.free.remove((slot, leased_at))
            self._release_later(key, [slot])

    def _release_later(self, key: str, slots: list[int]) -> None:
        self._spawn(self._release(key, slots))

    async def _release(self, key: str, slots: list[int]) -> None:
        try:
            await self.pool.execute(_RELEASE, key, slots, self.holder)
        except (asyncpg.PostgresError, OSError, *db.UNAVAILABLE) as exc:  # the lease expires by itself
            log.warning("call_slots.release_failed", company_id=key, error=str(exc))

    def _spawn(self, work) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Give every idle slot back and let in-flight leases and releases finish: a lease that
        answers while closing (a poll's) is given back too, within five seconds in all."""
        self._closed = True
        deadline = time.monotonic() + 5
        while True:
            for key, company in self._companies.items():
                if company.free:
                    self._release_later(key, [slot for slot, _ in company.free])
                    company.free.clear()
            left = deadline - time.monotonic()
            if not self._tasks or left <= 0:
                return
            await asyncio.wait(set(self._tasks), timeout=left)
