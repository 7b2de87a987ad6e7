"""The transactional outbox on the real PostgreSQL and RabbitMQ: nothing from a rolled-back
transaction leaves, committed rows leave in id order, and two relays on one table publish
each row exactly once. The database is a throwaway one (the running system relays its own)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
import warnings

import aio_pika
import pytest

from services.core import bus
from services.core.outbox import OutboxRelay, enqueue
from tests.support.inproc import eventually

pytest_plugins = ("tests.support.inproc",)  # its fixtures: amqp, channel, db_dsn, pool


@pytest.fixture
async def events(channel):
    """A test exchange (what `ledgersync.events` is to the relay) and a queue taking all of it."""
    name = f"test.outbox.{uuid.uuid4().hex[:12]}"
    exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(f"{name}.all", durable=True)
    await queue.bind(exchange, routing_key="#")
    yield name, queue
    await queue.delete(if_unused=False, if_empty=False)
    await exchange.delete()


async def received(queue) -> list[aio_pika.abc.AbstractIncomingMessage]:
    taken = []
    while (message := await queue.get(fail=False, no_ack=True)) is not None:
        taken.append(message)
    return taken


@contextlib.asynccontextmanager
async def relay(amqp, pool, **options):
    """An `OutboxRelay` with a confirming channel of its own, as each process has."""
    own = await bus.open_channel(amqp, prefetch=32)
    try:
        yield OutboxRelay(pool, bus.Publisher(own), **options)
    finally:
        await own.close()


async def commit(pool, exchange: str, *ids: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for message_id in ids:
            await enqueue(conn, exchange, "thing.happened", {"id": message_id, "n": message_id})


async def all_published(pool) -> bool:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_rows_of_a_rolled_back_transaction_are_never_published(amqp, pool, events):
    exchange, queue = events
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await enqueue(conn, exchange, "thing.happened", {"id": "rolled-back"})
                raise RuntimeError("the state change failed")
    await commit(pool, exchange, "committed")

    async with relay(amqp, pool) as outbox:
        assert await outbox.relay_once() == 1
        assert await outbox.relay_once() == 0

    [message] = await received(queue)
    assert message.message_id == "committed" and message.routing_key == "thing.happened"
    assert json.loads(message.body) == {"id": "committed", "n": "committed"}
    rows = await pool.fetch("SELECT message_id, published_at FROM outbox")
    assert [r["message_id"] for r in rows] == ["committed"] and rows[0]["published_at"] is not None


async def test_committed_rows_are_published_in_id_order_and_marked_published(amqp, pool, events):
    exchange, queue = events
    ids = [f"m{i:03d}" for i in range(40)]
    for start in range(0, len(ids), 8):
        await commit(pool, exchange, *ids[start:start + 8])

    async with relay(amqp, pool, batch=7) as outbox:
        batches = [await outbox.relay_once() for _ in range(7)]

    assert batches == [7, 7, 7, 7, 7, 5, 0]
    assert [m.message_id for m in await received(queue)] == ids
    by_id = await pool.fetch("SELECT message_id, published_at FROM outbox ORDER BY id")
    assert [r["message_id"] for r in by_id] == ids
    assert all(r["published_at"] is not None for r in by_id)


async def test_two_relays_on_one_table_publish_every_row_exactly_once(amqp, pool, events):
    exchange, queue = events
    ids = [f"w{writer}-{i:03d}" for writer in range(4) for i in range(60)]
    async with relay(amqp, pool, batch=5, poll_s=0.05) as first, \
            relay(amqp, pool, batch=5, poll_s=0.05) as second:
        loops = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
        try:
            await asyncio.gather(*(commit(pool, exchange, *ids[w * 60 + i:w * 60 + i + 6])
                                   for w in range(4) for i in range(0, 60, 6)))
            await eventually(lambda: all_published(pool), timeout=20,
                             what="every outbox row to be published")
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    got = [m.message_id for m in await received(queue)]
    assert len(got) == len(ids) and sorted(got) == sorted(ids)  # each once, none missing
    assert pool.get_size() - pool.get_idle_size() == 0  # the relays gave their listeners back


async def test_the_relay_wakes_on_commit_instead_of_waiting_for_its_poll(amqp, pool, events):
    exchange, queue = events
    async with relay(amqp, pool, poll_s=60) as outbox:
        loop = asyncio.create_task(outbox.run())
        try:
            await eventually(lambda: pool.get_size() - pool.get_idle_size() == 1,
                             what="the relay to listen")
            await asyncio.sleep(0.05)  # past its first (empty) pass, now waiting up to 60 s
            await commit(pool, exchange, "prompt")
            got = await eventually(lambda: received(queue), timeout=5, what="the relayed message")
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
    assert [m.message_id for m in got] == ["prompt"]


async def test_a_stopped_relay_removes_its_listener_before_giving_the_connection_back(amqp, pool):
    async with relay(amqp, pool, poll_s=60) as outbox:
        loop = asyncio.create_task(outbox.run())
        await eventually(lambda: outbox._listener is not None, what="the relay to listen")
        await asyncio.sleep(0.05)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
    leaks = [str(w.message) for w in caught if "notification listener" in str(w.message)]
    assert leaks == [], "OutboxRelay.run() removes a fresh lambda, not the listener it added"


async def test_a_row_the_broker_cannot_route_does_not_hold_up_the_rows_after_it(amqp, pool, events):
    """A command to a queue that is gone must be kept (not marked published), and it must not
    stop every later event and command of every tenant from leaving."""
    exchange, queue = events
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, "", f"test.missing.{uuid.uuid4().hex}", {"id": "unroutable"})
        await enqueue(conn, exchange, "thing.happened", {"id": "after"})

    async with relay(amqp, pool, poll_s=0.05) as outbox:
        loop = asyncio.create_task(outbox.run())
        try:
            got = await eventually(lambda: loop.done() or received(queue), timeout=5,
                                   what="the row after the unroutable one")
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
    assert got is not True, f"the relay stopped on the unroutable row: {loop.exception()!r}"
    assert [m.message_id for m in got] == ["after"]
    assert await pool.fetchval("SELECT published_at FROM outbox WHERE message_id = 'unroutable'") \
        is None


class Hanging:
    """A publisher that never gets its confirm: the relay holding it is as good as dead."""

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def publish(self, *_args, **_options) -> None:
        self.called.set()
        await asyncio.Event().wait()


async def test_rows_a_stuck_relay_claimed_go_to_another_relay_once_its_lease_is_over(amqp, pool, events):
    exchange, queue = events
    await commit(pool, exchange, "m1", "m2")
    hanging = Hanging()
    stuck = asyncio.create_task(OutboxRelay(pool, hanging, claim_s=0.5).relay_once())
    try:
        await eventually(lambda: hanging.called.is_set(), what="the first relay to claim the rows")
        async with relay(amqp, pool) as other:
            assert await other.relay_once() == 0  # leased to the stuck one
            assert await eventually(other.relay_once, what="the lease to end") == 2
            await other.flush()
    finally:
        stuck.cancel()
        await asyncio.gather(stuck, return_exceptions=True)

    assert [m.message_id for m in await received(queue)] == ["m1", "m2"]
    assert await all_published(pool)


async def test_a_relay_marks_what_it_published_in_its_next_round_or_when_it_stops(amqp, pool, events):
    exchange, queue = events
    await commit(pool, exchange, "first")
    async with relay(amqp, pool, poll_s=60) as outbox:
        assert await outbox.relay_once() == 1
        await commit(pool, exchange, "second")
        assert await outbox.relay_once() == 1  # "first" marked in this round's statement
        assert await pool.fetchval("SELECT array_agg(message_id) FROM outbox WHERE published_at IS NOT NULL") \
            == ["first"]
        await outbox.flush()  # what a stopping relay does last
    assert await all_published(pool)
    assert [m.message_id for m in await received(queue)] == ["first", "second"]
