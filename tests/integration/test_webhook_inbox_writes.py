"""Deliveries that arrive together are stored together (one statement) on the real
PostgreSQL, and each request still learns exactly its own outcome: stored once by webhook id,
a repeat (in the same batch or later) is a duplicate, only handled kinds are queued, and a
delivery the database refuses fails alone."""
from __future__ import annotations

import asyncio
import json

import asyncpg

from contracts.commands import WebhookReference, parse_message
from services.webhook_receiver.inbox_writes import Delivery, DeliveryStore

pytest_plugins = ("tests.support.inproc",)  # its fixtures: db_dsn, pool


def _delivery(webhook_id: str, *, handled: bool = True, body: str | None = None) -> Delivery:
    return Delivery("codat", webhook_id, "read.completed" if handled else "company.created",
                    body or json.dumps({"id": webhook_id}), handled)


class Counted:
    """The pool, with the number of deliveries of each statement written down."""

    def __init__(self, pool) -> None:
        self.pool, self.statements = pool, []

    async def fetchrow(self, sql, *args):
        self.statements.append(len(args[1]))
        return await self.pool.fetchrow(sql, *args)


async def test_a_burst_is_one_statement_and_each_request_gets_its_own_outcome(pool):
    counted = Counted(pool)
    store = DeliveryStore(counted)
    await pool.execute("INSERT INTO webhook_deliveries (provider, webhook_id, event_type, body) "
                       "VALUES ('codat', 'seen', 'read.completed', '{}')")
    burst = [_delivery("a"), _delivery("b", handled=False), _delivery("a"), _delivery("seen"), _delivery("c")]
    outcomes = await asyncio.gather(*(store.store(d) for d in burst))
    assert outcomes == [True, True, False, False, True]
    assert counted.statements == [4]  # one statement for the burst; the repeat of "a" not sent twice
    rows = {r["webhook_id"]: r["outcome"] for r in await pool.fetch("SELECT * FROM webhook_deliveries")}
    assert rows == {"seen": None, "a": None, "b": "ignored", "c": None}
    queued = await pool.fetch("SELECT message_id, body FROM outbox ORDER BY id")
    assert [(r["message_id"], r["body"]) for r in queued] == [
        ("codat:a", {"provider": "codat", "webhook_id": "a"}), ("codat:c", {"provider": "codat", "webhook_id": "c"})]
    # the statement builds the queue message itself: it is the contract's WebhookReference
    assert parse_message(WebhookReference, queued[0]["body"], "webhook reference") == WebhookReference(
        provider="codat", webhook_id="a")


async def test_a_delivery_the_database_refuses_fails_alone(pool):
    store = DeliveryStore(pool)
    first = asyncio.ensure_future(store.store(_delivery("first")))
    await asyncio.sleep(0)  # the writer has taken it: the next three wait and go together
    nul = json.dumps({"text": "\u0000"})  # valid JSON that jsonb cannot hold
    outcomes = await asyncio.gather(store.store(_delivery("ok-1")), store.store(_delivery("bad", body=nul)),
                                    store.store(_delivery("ok-2")), return_exceptions=True)
    assert await first is True
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], asyncpg.PostgresError)
    assert {r["webhook_id"] for r in await pool.fetch("SELECT webhook_id FROM webhook_deliveries")} == {
        "first", "ok-1", "ok-2"}


class Overlapping:
    """The pool, holding each statement a moment so that the next one starts beside it."""

    def __init__(self, pool) -> None:
        self.pool, self.in_flight, self.most = pool, 0, 0

    async def fetchrow(self, sql, *args):
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return await self.pool.fetchrow(sql, *args)
        finally:
            self.in_flight -= 1


async def test_two_statements_in_flight_store_each_id_once(pool):
    overlapping = Overlapping(pool)
    store = DeliveryStore(overlapping, writers=2)
    ids = [f"id-{i:02d}" for i in range(30)]

    async def wave(order: list[str]) -> list[bool]:
        return await asyncio.gather(*(store.store(_delivery(i)) for i in order))

    first = asyncio.ensure_future(wave(ids))
    while not overlapping.in_flight:  # the first statement is on its way: the reversed wave goes beside it
        await asyncio.sleep(0)
    second = await wave(ids[::-1])
    outcomes = dict(zip(ids, await first, strict=True))
    assert overlapping.most == 2
    for webhook_id, stored_later in zip(ids[::-1], second, strict=True):
        assert outcomes[webhook_id] != stored_later  # exactly one of the two requests stored it
    assert await pool.fetchval("SELECT count(*) FROM webhook_deliveries") == 30
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 30
