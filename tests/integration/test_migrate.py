"""Migrations on the real PostgreSQL: every file applied once, re-runs apply nothing, and
concurrent `ledgersync migrate`s (replicas starting together) all succeed. Each test uses
databases of its own, dropped afterwards."""
from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from services.core import migrate as migrations
from services.core.db import drop_database, ensure_database
from tests.support.inproc import scratch_dsn

EXPECTED_TABLES = {"partners", "entities", "accounting_connections", "sync_runs", "inbox",
                   "outbox", "synced_records", "schema_migrations"}


def every_version() -> list[str]:
    return [version for version, _ in migrations._migrations()]


@contextlib.asynccontextmanager
async def throwaway(create: bool = False):
    dsn = scratch_dsn("mig")
    try:
        if create:
            await ensure_database(dsn)
        yield dsn
    finally:
        await drop_database(dsn)


async def recorded(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r["version"] for r in
                await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await conn.close()


async def tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["tablename"] for r in
                await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    finally:
        await conn.close()


async def test_a_new_database_gets_every_migration_once_and_a_rerun_applies_none():
    assert every_version() and every_version() == sorted(every_version())
    async with throwaway() as dsn:  # not even created yet: migrate creates it
        assert await migrations.migrate(dsn) == every_version()
        assert await recorded(dsn) == every_version()
        assert EXPECTED_TABLES <= await tables(dsn)

        assert await migrations.migrate(dsn) == []
        assert await recorded(dsn) == every_version()


async def test_concurrent_migrations_of_an_existing_empty_database_apply_each_file_once():
    async with throwaway(create=True) as dsn:
        results = await asyncio.gather(*(migrations.migrate(dsn) for _ in range(3)))

        applied = [version for result in results for version in result]
        assert sorted(applied) == every_version()  # each file by exactly one of them
        assert await recorded(dsn) == every_version()


@pytest.mark.parametrize("replicas", [2, 3])
async def test_concurrent_migrations_of_a_database_that_does_not_exist_yet_all_succeed(replicas):
    async with throwaway() as dsn:
        results = await asyncio.gather(*(migrations.migrate(dsn) for _ in range(replicas)),
                                       return_exceptions=True)

        failures = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
        assert failures == [], "a concurrent `ledgersync migrate` failed while creating the database"
        assert sorted(v for result in results for v in result) == every_version()
        assert await recorded(dsn) == every_version()
