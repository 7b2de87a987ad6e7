"""Deferred writes of a batch's transaction (services.core.deferred_writes) against the real
PostgreSQL: sent in order, a run of one statement in one round trip, each one's row handed to
its own follow-up in the context that deferred it; nothing deferred once its block ended."""
from __future__ import annotations

import contextvars

import asyncpg
import pytest

from services.core import deferred_writes
from services.core.db import QueryCounter

pytest_plugins = ("tests.support.inproc",)  # its fixtures: db_dsn (a migrated database of the test's own)
WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")
INSERT = "INSERT INTO pipelined (n, note) VALUES ($1, $2) RETURNING n * 10 AS tenfold"
NOTE = "INSERT INTO pipelined (n, note) VALUES ($1, 'other') RETURNING n AS same"


@pytest.fixture
async def conn(db_dsn):
    conn = await asyncpg.connect(db_dsn)
    await conn.execute("CREATE TABLE pipelined (seq bigserial PRIMARY KEY, n int UNIQUE NOT NULL, note text)")
    try:
        yield conn
    finally:
        await conn.close()


def _deferred_by(who: str, batch: deferred_writes.Pipeline, statement: str, args: tuple, seen: list) -> None:
    WHO.set(who)
    batch.add(statement, args, key=args[0], then=lambda row: seen.append((WHO.get(), dict(row))))


async def test_deferred_writes_go_in_order_one_round_trip_per_run_of_a_statement(conn):
    counter = QueryCounter()
    counter.enable()
    conn.add_query_logger(counter)
    seen: list = []
    with deferred_writes.pipelined() as batch:
        assert deferred_writes.current() is batch
        for who, statement, n in (("a", INSERT, 1), ("b", INSERT, 2), ("c", NOTE, 3), ("d", INSERT, 4)):
            contextvars.copy_context().run(_deferred_by, who, batch, statement, (n, who) if statement is INSERT
                                           else (n,), seen)
        assert batch.holds(2) and not batch.holds(5)
        assert await conn.fetchval("SELECT count(*) FROM pipelined") == 0  # nothing sent yet
        before = counter.count
        async with conn.transaction():
            assert await batch.flush(conn) == 4
        assert counter.count - before == 3 + 2  # runs: (a, b), (c), (d); BEGIN and COMMIT
    assert [r["n"] for r in await conn.fetch("SELECT n FROM pipelined ORDER BY seq")] == [1, 2, 3, 4]
    assert seen == [("a", {"tenfold": 10}), ("b", {"tenfold": 20}), ("c", {"same": 3}), ("d", {"tenfold": 40})]
    assert WHO.get() == "nobody"  # each follow-up ran in the context that deferred it
    assert not batch.writes and not batch.holds(2)


async def test_a_deferred_write_that_fails_fails_the_flush_and_its_transaction(conn):
    with deferred_writes.pipelined() as batch:
        batch.add(INSERT, (1, "first"))
        batch.add(INSERT, (1, "again"))  # the unique key: the second fails
        with pytest.raises(asyncpg.UniqueViolationError):
            async with conn.transaction():
                await batch.flush(conn)
    assert await conn.fetchval("SELECT count(*) FROM pipelined") == 0


def test_outside_its_block_nothing_is_deferred():
    assert deferred_writes.current() is None
    with deferred_writes.pipelined() as batch:
        later = contextvars.copy_context()  # e.g. the context an event's after-commit work runs in
    assert later.run(deferred_writes.current) is None  # writes at once again
    with pytest.raises(RuntimeError):
        batch.add(INSERT, (1, "late"))


def test_a_block_that_ends_with_writes_not_sent_raises():
    with pytest.raises(RuntimeError, match="never sent"), deferred_writes.pipelined() as batch:
        batch.add(INSERT, (1, "lost"))
