"""Pushes parked while their connection is paused by the provider's rate limit: none is released
before the pause is over, a few per connection per round afterwards (oldest first), each once
even with two replicas releasing at the same time, and only while it is still the record's push."""
from __future__ import annotations

import asyncio
import uuid

from services.push import parking

pytest_plugins = ("tests.support.inproc",)  # its fixtures: db_dsn, pool


async def _connection(pool, partner, throttled: bool) -> uuid.UUID:
    entity, conn_id = uuid.uuid4(), uuid.uuid4()
    await pool.execute("INSERT INTO entities (id, partner_id, name) VALUES ($1, $2, 'E')", entity, partner)
    await pool.execute("INSERT INTO accounting_connections (id, entity_id, provider, status, throttled_until) "
                       "VALUES ($1, $2, 'codat', 'connected', CASE WHEN $3 THEN now() + interval '1 hour' END)",
                       conn_id, entity, throttled)
    return conn_id


async def _parked(pool, conn_id, n: int, status: str = "pending") -> list[uuid.UUID]:
    ids = []
    for _ in range(n):
        record = uuid.uuid4()
        await pool.execute(
            "INSERT INTO synced_records (id, entity_id, connection_id, object_type, object_id, sync_status, provider) "
            "SELECT $1, entity_id, id, 'receivable', $2, $3, 'codat' FROM accounting_connections WHERE id = $4",
            record, uuid.uuid4(), status, conn_id)
        async with pool.acquire() as conn:
            await parking.park(conn, record, conn_id, 1)
        ids.append(record)
    return ids


async def _commands(pool) -> list[str]:
    rows = await pool.fetch("SELECT body FROM outbox WHERE routing_key = 'ledgersync.commands' ORDER BY id")
    return [r["body"]["args"]["record_id"] for r in rows if r["body"]["command"] == "push_record"]


async def test_parked_pushes_leave_after_the_pause_a_few_per_connection_and_round(pool):
    partner = uuid.uuid4()
    await pool.execute("INSERT INTO partners (id, name, client_id, client_secret_hash) VALUES ($1, 'P', $2, 'x')",
                       partner, f"client-{partner}")
    paused, free = await _connection(pool, partner, True), await _connection(pool, partner, False)
    waiting = await _parked(pool, paused, 3)
    ready = await _parked(pool, free, 5)
    settled = await _parked(pool, free, 1, status="done")  # pushed meanwhile: nothing to send
    await pool.execute("UPDATE synced_records SET push_generation = 1")

    released = await asyncio.gather(parking.release(pool, 2), parking.release(pool, 2))
    assert 2 <= sum(released) <= 4  # two per connection and round; a row goes to one replica only
    sent = await _commands(pool)
    assert len(sent) == len(set(sent)) == sum(released) and set(sent) <= {str(r) for r in ready}
    while await parking.release(pool, 2):
        pass
    sent = await _commands(pool)
    assert sorted(sent) == sorted(str(r) for r in ready)  # each once; the paused ones stay
    left = {r["record_id"] for r in await pool.fetch("SELECT record_id FROM parked_pushes")}
    assert left == set(waiting) and settled[0] not in left
