"""Two transactions that lock the same two rows in opposite orders deadlock; PostgreSQL aborts
one. Run through ``in_transaction``, the aborted one runs again and both changes are kept."""
from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.core.db import in_transaction

pytest_plugins = ("tests.support.inproc",)  # pool


async def _crossing(pool, first: int, second: int, both_hold_one: asyncio.Barrier, runs: list):
    async def work(conn):
        runs.append(first)
        await conn.execute("UPDATE counters SET n = n + 1 WHERE id = $1", first)
        if len(runs) <= 2:  # the first run of each: wait until the other holds its row too
            await both_hold_one.wait()
        await conn.execute("UPDATE counters SET n = n + 1 WHERE id = $1", second)
    await in_transaction(pool, work)


async def test_the_loser_of_a_deadlock_runs_again_and_both_changes_are_kept(pool):
    await pool.execute("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)")
    await pool.execute("INSERT INTO counters VALUES (1, 0), (2, 0)")
    barrier, runs = asyncio.Barrier(2), []
    await asyncio.wait_for(asyncio.gather(_crossing(pool, 1, 2, barrier, runs),
                                          _crossing(pool, 2, 1, barrier, runs)), 30)
    assert len(runs) == 3  # one of the two ran twice
    assert dict(await pool.fetch("SELECT id, n FROM counters")) == {1: 2, 2: 2}


async def test_work_that_keeps_conflicting_gives_up_with_postgres_error(pool):
    calls = []

    async def work(conn):
        calls.append(1)
        raise asyncpg.DeadlockDetectedError("deadlock detected")
    with pytest.raises(asyncpg.DeadlockDetectedError):
        await in_transaction(pool, work)
    assert len(calls) == 3
