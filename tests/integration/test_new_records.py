"""A new synced record stored in one statement with its announcement (``repo.stored``): the row
the process built is the row the table holds, every column of the table is one the process
gives, and the history row and the status-change event go with it."""
from __future__ import annotations

import uuid

import pytest

from services.synced_records import repo

pytest_plugins = ("tests.support.inproc",)  # its fixtures: db_dsn, pool


async def _connection(conn) -> dict:
    partner, entity, connection = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO partners (id, name, client_id, client_secret_hash) VALUES ($1, 'P', $2, 'x')",
                       partner, f"client-{partner.hex[:8]}")
    await conn.execute("INSERT INTO entities (id, partner_id, name) VALUES ($1, $2, 'E')", entity, partner)
    return dict(await conn.fetchrow(
        "INSERT INTO accounting_connections (id, entity_id, provider, platform, status) "
        "VALUES ($1, $2, 'codat', 'xero', 'connected') RETURNING *", connection, entity))


async def test_the_process_gives_every_column_of_a_new_record(pool):
    columns = [r["column_name"] for r in await pool.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'synced_records' ORDER BY ordinal_position")]
    assert sorted(columns) == sorted(repo.COLUMNS), "a new column must be given by repo.new too"


async def test_a_new_record_is_stored_as_built_with_its_history_and_event(pool):
    async with pool.acquire() as conn, conn.transaction():
        connection = await _connection(conn)
        built = repo.new(connection, "receivable", uuid.uuid4(), object_updated_at=None)
        row = await repo.stored(conn, built)
        assert await repo.stored(conn, row) is row  # stored already: nothing more is written
    stored = dict(await pool.fetchrow("SELECT * FROM synced_records WHERE id = $1", built["id"]))
    assert stored == dict(built) == row and stored["sync_status"] == "pending" and stored["push_generation"] == 0
    assert await pool.fetchval("SELECT count(*) FROM synced_record_history WHERE record_id = $1", built["id"]) == 1
    event = await pool.fetchval("SELECT body FROM outbox WHERE routing_key = 'synced_record.status_changed'")
    assert str(built["id"]) in (event if isinstance(event, str) else str(event))


def test_an_unknown_column_is_refused():
    with pytest.raises(TypeError, match="no column colour"):
        repo.new({"entity_id": uuid.uuid4(), "id": uuid.uuid4(), "provider": "codat", "platform": None},
                 "receivable", uuid.uuid4(), colour="red")
