"""The composition root's resources: what one process opens once and closes in pairs (pool,
broker, HTTP session, the configured provider adapter). ``runner`` builds each service from
them and hands every handler only what it uses."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import aiohttp
import asyncpg

from services.core import bus
from services.core.call_slots import PgSlots
from services.core.broker import Broker, BrokerPublisher
from services.core.db import create_pool
from services.app_keys import AppDeps
from services.core.settings import Settings
from services.core.supervisor import ConsumerSupervisor
from services.providers.base import ProviderAdapter
from services.providers.registry import build_adapter


DATABASE_WAIT_AT_START_S = 300.0  # a process started while the database restarts waits for it


@dataclass
class Resources:
    settings: Settings
    pool: asyncpg.Pool
    broker: Broker
    publisher: BrokerPublisher
    http: aiohttp.ClientSession
    adapter: ProviderAdapter
    consumers: list[ConsumerSupervisor] = field(default_factory=list)

    def consumer(self, queue: str, handler: bus.Handler) -> ConsumerSupervisor:
        """A supervised consumer of ``queue``; readiness counts it from now on."""
        supervisor = ConsumerSupervisor(self.broker, queue, handler, prefetch=self.settings.prefetch,
                                        database_up=self._database_ok)
        self.consumers.append(supervisor)
        return supervisor

    async def _database_ok(self) -> bool:
        with contextlib.suppress(Exception):
            async with self.pool.acquire(timeout=2) as conn:
                return await asyncio.wait_for(conn.fetchval("SELECT 1"), 2) == 1
        return False

    async def ready(self) -> dict:
        """What this process needs to do its work, each "ok" or what is wrong with it."""
        return {"database": "ok" if await self._database_ok() else "down",
                "broker": "ok" if self.broker.is_up else "down",
                "consumers": {c.queue: c.state for c in self.consumers}}


async def _bounded(awaitable, timeout: float = 5.0) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(awaitable, timeout)


async def _close_pool(pool: asyncpg.Pool) -> None:
    try:
        await asyncio.wait_for(pool.close(), 10)
    except Exception:  # noqa: BLE001 - connections still busy or the server gone: cut them
        pool.terminate()


@contextlib.asynccontextmanager
async def open_resources(settings: Settings):
    async with contextlib.AsyncExitStack() as stack:
        pool = await create_pool(settings.database_url, settings.db_pool_min, settings.db_pool_max,
                                 wait_s=DATABASE_WAIT_AT_START_S)
        stack.push_async_callback(_close_pool, pool)
        broker = Broker(settings.amqp_url, setup=bus.declare_topology)
        await broker.start()  # a broker that is down is not fatal: readiness says so until it is back
        stack.push_async_callback(_bounded, broker.stop(), 10)
        http = aiohttp.ClientSession(raise_for_status=False)
        stack.push_async_callback(http.close)
        slots = PgSlots(pool, settings.provider_max_concurrency, call_timeout_s=settings.provider_timeout_s)
        stack.push_async_callback(slots.close)
        adapter = build_adapter(settings, http, slots=slots)
        yield Resources(settings, pool, broker, BrokerPublisher(broker), http, adapter)


def app_deps(res: Resources) -> AppDeps:
    """What the HTTP apps' views use."""
    return AppDeps(res.settings, res.pool, res.adapter)
