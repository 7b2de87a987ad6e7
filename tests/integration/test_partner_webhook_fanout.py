"""A status change fans out in its own transaction, on the real PostgreSQL: exactly one partner
event per change (its id the outbox event's), one pending delivery per matching enabled
subscription of the entity's partner (`event_types` empty = all), ordered per connection, the
sender and the relay woken at commit; a rolled-back change leaves nothing."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from services.connections import repo as connections
from services.partner_webhooks import deliveries, subscriptions
from services.partner_webhooks.fanout import ORDER_HOLD
from services.synced_records import repo as records

pytest_plugins = ("tests.support.inproc",)  # its fixtures: db_dsn, pool


async def _partner(pool) -> uuid.UUID:
    partner = uuid.uuid4()
    await pool.execute("INSERT INTO partners (id, name, client_id, client_secret_hash) VALUES ($1, 'P', $2, 'x')",
                       partner, f"client-{partner}")
    return partner


async def _setup(pool):
    partner, other = await _partner(pool), await _partner(pool)
    entity = uuid.uuid4()
    await pool.execute("INSERT INTO entities (id, partner_id, name) VALUES ($1, $2, 'E')", entity, partner)
    connection = await pool.fetchrow(
        "INSERT INTO accounting_connections (id, entity_id, provider, status, platform) "
        "VALUES ($1, $2, 'codat', 'pending_auth', 'xero') RETURNING *", uuid.uuid4(), entity)
    async with pool.acquire() as conn:
        async def sub(owner, object_type, event_types=()):
            return (await subscriptions.create(conn, owner, object_type, "https://hooks.example/",
                                               list(event_types), "2024-05-25"))["id"]
        subs = {"all": await sub(partner, "accounting_synced_record"),
                "done": await sub(partner, "accounting_synced_record", ["done"]),
                "disabled": await sub(partner, "accounting_synced_record"),
                "connection": await sub(partner, "accounting_connection", ["connected"]),
                "other_partner": await sub(other, "accounting_synced_record")}
        await subscriptions.change(conn, partner, subs["disabled"], status="disabled")
    return connection, subs


async def _fanned_out(pool, object_type: str) -> dict[str, set[uuid.UUID]]:
    """Each partner event's action → the subscriptions it was delivered to; checks the event ids."""
    events = await pool.fetch("SELECT * FROM partner_events WHERE object_type = $1", object_type)
    outbox = {r["message_id"]: r for r in await pool.fetch("SELECT * FROM outbox")}
    out: dict[str, set[uuid.UUID]] = {}
    for event in events:
        assert str(event["id"]) in outbox and outbox[str(event["id"])]["exchange"] == "ledgersync.events"
        assert event["action"] not in out, "one partner event per status change"
        rows = await pool.fetch("SELECT * FROM partner_webhook_deliveries WHERE event_id = $1", event["id"])
        for row in rows:
            assert row["status"] == "pending" and row["give_up_at"] is None
            assert row["ordering_key"] == str(event["connection_id"])
            assert row["next_attempt_at"] >= event["created_at"] + ORDER_HOLD - timedelta(milliseconds=1)
        out[event["action"]] = {r["subscription_id"] for r in rows}
    return out


async def test_each_status_change_is_one_event_delivered_to_the_matching_enabled_subscriptions(pool):
    connection, subs = await _setup(pool)
    woken: list[str] = []
    listener, channels = await pool.acquire(), (deliveries.CHANNEL, "ledgersync_outbox")

    def heard(_conn, _pid, channel, _payload):
        woken.append(channel)
    for channel in channels:
        await listener.add_listener(channel, heard)
    try:
        async with pool.acquire() as conn, conn.transaction():
            connected = await connections.update(conn, connection, status="connected")
            record = await records.save(conn, connected, "receivable", uuid.uuid4())
            await records.save(conn, connected, "receivable", record["object_id"])  # no change: no event
            await asyncio.sleep(0.2)
            assert woken == []  # NOTIFY is delivered at commit
        async with pool.acquire() as conn, conn.transaction():
            await records.save(conn, connected, "receivable", record["object_id"], sync_status="done")
        await asyncio.sleep(0.2)
        assert set(woken) == {deliveries.CHANNEL, "ledgersync_outbox"}
    finally:
        for channel in channels:
            await listener.remove_listener(channel, heard)
        await pool.release(listener)

    assert await _fanned_out(pool, "accounting_connection") == {
        "accounting_connection.connected": {subs["connection"]}}
    assert await _fanned_out(pool, "accounting_synced_record") == {
        "accounting_synced_record.pending": {subs["all"]},
        "accounting_synced_record.done": {subs["all"], subs["done"]}}
    history = await pool.fetch("SELECT detail FROM synced_record_history WHERE record_id = $1 ORDER BY id",
                               record["id"])
    assert [(h["detail"]["from"], h["detail"]["to"]) for h in history] == [(None, "pending"), ("pending", "done")]

    claimed = await deliveries.claim(pool, 10, 4, timedelta(seconds=30), timedelta(hours=2))
    assert claimed == []  # held for ORDER_HOLD after the change
    await pool.execute("UPDATE partner_webhook_deliveries SET next_attempt_at = now()")
    claimed = await deliveries.claim(pool, 10, 4, timedelta(seconds=30), timedelta(hours=2))
    made = {r["id"]: r["created_at"] for r in await pool.fetch("SELECT id, created_at FROM partner_webhook_deliveries")}
    assert claimed and all(c["give_up_at"] == made[c["delivery_id"]] + timedelta(hours=2) for c in claimed)


async def test_a_rolled_back_change_leaves_no_event_and_no_delivery(pool):
    connection, _subs = await _setup(pool)
    try:
        async with pool.acquire() as conn, conn.transaction():
            connected = await connections.update(conn, connection, status="connected")
            await records.save(conn, connected, "receivable", uuid.uuid4())
            raise RuntimeError("the push failed before commit")
    except RuntimeError:
        pass
    for table in ("outbox", "partner_events", "partner_webhook_deliveries", "synced_record_history"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table
