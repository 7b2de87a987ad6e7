"""The scheduler on the real PostgreSQL: one leader at a time through the advisory lock, a
follower that takes over, and work claimed from tables so that concurrent replicas start one
sync run per due connection and re-check each stale push once. Each test has a migrated
throwaway database."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from services.core.db import create_pool
from services.scheduler import leader, ticks
from tests.support.inproc import eventually

pytest_plugins = ("tests.support.inproc",)  # its fixtures: amqp, channel, db_dsn, pool

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
            try:
                await asyncio.sleep(0.005)
            finally:  # a leader cancelled mid-tick has stopped ticking too
                running.discard(name)
        return tick

    loops = {name: asyncio.create_task(leader.lead(pool, [tick_of(name)], every_s=0.02))
             for name, pool in zip(("a", "b"), replicas, strict=True)}
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


async def _kill_leader_session(pool) -> bool:
    return await pool.fetchval(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objid = $1 AND database = (SELECT oid FROM pg_database "
        "WHERE datname = current_database())", leader.LEADER_LOCK)  # ours, not another run's


async def test_a_leader_whose_session_dies_stops_ticking_the_follower_takes_over_and_it_competes_again(
        replicas):
    ran: list[str] = []

    def tick_of(name: str):
        async def tick():
            ran.append(name)
        return tick

    loops = {name: asyncio.create_task(leader.lead(pool, [tick_of(name)], every_s=0.02))
             for name, pool in zip(("a", "b"), replicas, strict=True)}
    try:
        await eventually(lambda: len(ran) >= 5, what="the first ticks")
        first, second = ran[0], ({"a", "b"} - {ran[0]}).pop()
        for old, new in ((first, second), (second, first)):  # the old leader keeps competing
            assert await _kill_leader_session(replicas[0]), "no session held the leader lock"
            since = len(ran)
            await eventually(lambda since=since, new=new: ran[since:].count(new) >= 3, timeout=10,
                             what=f"{new} to take over")
            took_over = since + ran[since:].index(new)
            assert old not in ran[took_over:]  # one leader at a time
        assert not any(loop.done() for loop in loops.values())  # nobody gave up for good
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


async def test_concurrent_rechecks_ask_once_about_each_stale_push(replicas):
    made = await seed(replicas[0])
    conn_id = made["due"][0]
    entity = await replicas[0].fetchval("SELECT entity_id FROM accounting_connections WHERE id = $1",
                                        conn_id)
    stale: list[str] = []
    old, fresh = timedelta(minutes=10), timedelta(0)
    for status, checked_ago in [*[("sending", old), ("pending", old)] * 15,
                                ("pending", fresh), ("success", old), ("timed_out", old)]:
        record, attempt = uuid.uuid4(), uuid.uuid4()
        await replicas[0].execute(
            "INSERT INTO synced_records (id, entity_id, connection_id, object_type, object_id, "
            "sync_status, provider) VALUES ($1, $2, $3, 'receivable', $4, 'pending', 'codat')",
            record, entity, conn_id, uuid.uuid4())
        await replicas[0].execute(
            "INSERT INTO push_attempts (id, record_id, generation, idempotency_key, data_type, "
            "status, checked_at) VALUES ($1, $2, 1, $3, 'invoices', $4, now() - $5::interval)",
            attempt, record, uuid.uuid4(), status, checked_ago)
        if checked_ago == old and status in ("sending", "pending"):
            stale.append(str(attempt))

    after = timedelta(minutes=5)
    counts = await asyncio.gather(*(ticks.recheck_pushes(p, after) for p in replicas for _ in range(2)))

    assert sum(counts) == len(stale)
    asked = [r["body"]["args"]["attempt_id"] for r in await replicas[0].fetch(
        "SELECT body FROM outbox WHERE body->>'command' = 'settle_push'")]
    assert sorted(asked) == sorted(stale)  # each stale write once; fresh or settled ones never
    assert await asyncio.gather(*(ticks.recheck_pushes(p, after) for p in replicas)) == [0, 0]
