"""The composition root's resources: what one process opens once and closes in pairs (pool,
broker, HTTP session, the configured provider adapter). ``runner`` builds each service from
them and hands every handler only what it uses."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import aiohttp
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from services.core import bus
from services.core.call_slots import PgSlots
from services.core.db import create_pool
from services.app_keys import AppDeps
from services.core.settings import Settings
from services.providers.base import ProviderAdapter
from services.providers.registry import build_adapter


@dataclass
class Resources:
    settings: Settings
    pool: asyncpg.Pool
    amqp: AbstractRobustConnection
    channel: AbstractChannel
    publisher: bus.Publisher
    http: aiohttp.ClientSession
    adapter: ProviderAdapter

    async def ready(self) -> dict[str, bool]:
        checks = {"database": False, "broker": not self.amqp.is_closed}
        with contextlib.suppress(Exception):
            async with self.pool.acquire(timeout=2) as conn:
                checks["database"] = await conn.fetchval("SELECT 1") == 1
        return checks


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
        pool = await create_pool(settings.database_url, settings.db_pool_min, settings.db_pool_max)
        stack.push_async_callback(_close_pool, pool)
        amqp = await bus.connect(settings.amqp_url)
        stack.push_async_callback(_bounded, amqp.close())
        channel = await bus.open_channel(amqp, settings.prefetch)
        await bus.declare_topology(channel)
        http = aiohttp.ClientSession(raise_for_status=False)
        stack.push_async_callback(http.close)
        slots = PgSlots(pool, settings.provider_max_concurrency, call_timeout_s=settings.provider_timeout_s)
        stack.push_async_callback(slots.close)
        adapter = build_adapter(settings, http, slots=slots)
        yield Resources(settings, pool, amqp, channel, bus.Publisher(channel), http, adapter)


def app_deps(res: Resources) -> AppDeps:
    """What the HTTP apps' views use."""
    return AppDeps(res.settings, res.pool, res.adapter)
