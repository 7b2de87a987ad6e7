"""The scheduler on the real PostgreSQL: one leader at a time through the advisory lock, a
follower that takes over, and scheduled syncs claimed so that concurrent replicas start one
sync run per due connection. Each test has a migrated throwaway database."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from services.core.db import create_pool
from services.scheduler import leader, ticks
from tests.support.inproc import db_dsn, eventually  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="session")  # the loop of the session fixtures
DAY = timedelta(hours=24)


@pytest.fixture
async def replicas(db_dsn):
    """Two pools on the same database: two scheduler processes."""
    pools = [await create_pool(db_dsn, min_size=1, max_size=4) for _ in range(2)]
    yield pools
    for opened in pools:
        await opened.close()


async def test_one_leader_ticks_at_a_time_and_the_follower_takes_over_when_it_goes(replicas):
    ran: list[str] = []
    running: set[str] = set()
    overlaps: list[set[str]] = []

    def tick_of(name: str):
        async def tick():
            if running:
                overlaps.append({*running, name})
            running.add(name)
            ran.append(name)
            await asyncio.sleep(0.005)
            running.discard(name)
        return tick

    loops = {name: asyncio.create_task(leader.lead(pool, [tick_of(name)], every_s=0.02))
             for name, pool in zip(("a", "b"), replicas)}
    try:
        await eventually(lambda: len(ran) >= 15, what="fifteen ticks")
        assert len(set(ran)) == 1, f"both loops ran ticks: {ran}"
        first = ran[0]
        second = ({"a", "b"} - {first}).pop()

        loops[first].cancel()
        await asyncio.gather(loops[first], return_exceptions=True)
        since = len(ran)
        await eventually(lambda: ran[since:].count(second) >= 5, timeout=5,
                         what=f"{second} to take over")
        assert first not in ran[since:]
        assert not overlaps
    finally:
        for loop in loops.values():
            loop.cancel()
        await asyncio.gather(*loops.values(), return_exceptions=True)


async def seed(pool) -> dict[str, list[uuid.UUID]]:
    """Connections that are due, and ones that are not (and why)."""
    partner = uuid.uuid4()
    await pool.execute("INSERT INTO partners (id, name, client_id, client_secret_hash) "
                       "VALUES ($1, 'P', $2, 'x')", partner, f"client-{partner}")
    made: dict[str, list[uuid.UUID]] = {"due": [], "not_due": []}

    async def connection(status="connected", throttled=False, last_run_ago=None) -> uuid.UUID:
        entity, conn_id = uuid.uuid4(), uuid.uuid4()
        await pool.execute("INSERT INTO entities (id, partner_id, name) VALUES ($1, $2, 'E')",
                           entity, partner)
        await pool.execute(
            "INSERT INTO accounting_connections (id, entity_id, provider, status, throttled_until) "
            "VALUES ($1, $2, 'codat', $3, CASE WHEN $4 THEN now() + interval '1 hour' END)",
            conn_id, entity, status, throttled)
        if last_run_ago is not None:
            await pool.execute(
                "INSERT INTO sync_runs (id, connection_id, entity_id, trigger, status, started_at, "
                "finished_at) VALUES ($1, $2, $3, 'api', 'completed', now() - $4::interval, now())",
                uuid.uuid4(), conn_id, entity, last_run_ago)
        return conn_id

    made["due"] = [await connection() for _ in range(40)]
    made["due"].append(await connection(last_run_ago=timedelta(hours=25)))
    made["not_due"] = [await connection(status="pending_auth"),
                       await connection(status="deauthorized"),
                       await connection(throttled=True),
                       await connection(last_run_ago=timedelta(hours=1))]
    return made


async def running_runs(pool) -> dict[uuid.UUID, int]:
    rows = await pool.fetch("SELECT connection_id, count(*) AS n FROM sync_runs "
                            "WHERE trigger = 'schedule' GROUP BY connection_id")
    return {r["connection_id"]: r["n"] for r in rows}


async def test_concurrent_schedulers_start_one_sync_run_per_due_connection(replicas):
    made = await seed(replicas[0])

    started = await asyncio.gather(*(ticks.schedule_syncs(pool, DAY)
                                     for pool in replicas for _ in range(2)))

    assert sum(started) == len(made["due"])
    runs = await running_runs(replicas[0])
    assert runs == {conn_id: 1 for conn_id in made["due"]}
    assert await replicas[0].fetchval("SELECT count(*) FROM sync_runs WHERE trigger = 'schedule' "
                                      "AND status = 'running'") == len(made["due"])
    commands = await replicas[0].fetch(
        "SELECT body FROM outbox WHERE exchange = '' AND routing_key = 'ledgersync.commands'")
    assert sorted(c["body"]["args"]["connection_id"] for c in commands) == \
        sorted(str(conn_id) for conn_id in made["due"])
    assert {c["body"]["command"] for c in commands} == {"sync_connection"}


async def test_no_sync_is_started_again_within_the_interval(replicas):
    made = await seed(replicas[0])
    assert await ticks.schedule_syncs(replicas[0], DAY) == len(made["due"])

    assert await asyncio.gather(*(ticks.schedule_syncs(p, DAY) for p in replicas)) == [0, 0]
    await replicas[0].execute("UPDATE sync_runs SET status = 'completed', finished_at = now()")
    assert await asyncio.gather(*(ticks.schedule_syncs(p, DAY) for p in replicas)) == [0, 0]
    assert await running_runs(replicas[0]) == {conn_id: 1 for conn_id in made["due"]}
    # once the interval has passed they are due again (and so is the one synced an hour ago)
    assert await ticks.schedule_syncs(replicas[1], timedelta(0)) == len(made["due"]) + 1
