"""The bus on the real RabbitMQ: ack after the handler, delayed retries, dead letters, the
broker's delivery limit, graceful stop and publisher confirms. Queues are `test.<uuid>` ones
declared with the production argument builders, so the running system is never touched."""
from __future__ import annotations

import asyncio
import json
import signal

import aiormq
import pytest

from services.core.consumer import Consumer
from services.core import bus, lifecycle, retry, topology
from services.core.errors import Deferred, RetryableError, ValidationFailed
from tests.support.inproc import declare_work_queue, eventually, start_consumer

pytest_plugins = ("tests.support.inproc",)  # its fixtures: amqp, channel, db_dsn, pool

FAST_DELAYS_S = tuple(0.05 for _ in topology.RETRY_DELAYS_S)  # same tiers, 50 ms each


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(retry, "RETRY_DELAYS_S", FAST_DELAYS_S)
    monkeypatch.setattr(retry, "MAX_ATTEMPTS", len(FAST_DELAYS_S) + 1)
    return retry.MAX_ATTEMPTS


@pytest.fixture
async def work(channel, fast_retries):
    declared = await declare_work_queue(channel, FAST_DELAYS_S)
    yield declared
    await declared.delete()


async def publish(channel, queue: str, *ids: str) -> None:
    for message_id in ids:
        await bus.Publisher(channel).publish("", queue, {"id": message_id}, message_id=message_id)


async def shut(consumer) -> None:
    """Stop as `serve` does, then close the channel: anything unacked goes back to its queue."""
    await consumer.stop()
    await consumer.channel.close()


def attempt_of(message) -> int:
    return int((message.headers or {}).get(bus.ATTEMPT_HEADER, 1))


async def test_retryable_error_goes_through_the_retry_tiers_and_is_acked_once(amqp, channel, work):
    attempts = []

    async def handler(message):
        attempts.append((message.message_id, attempt_of(message)))
        if attempt_of(message) < 3:
            raise RetryableError("provider busy")

    consumer = await start_consumer(amqp, work.name, handler)
    await publish(channel, work.name, "m1")
    await eventually(lambda: len(attempts) == 3, what="the third attempt")
    await shut(consumer)

    assert attempts == [("m1", 1), ("m1", 2), ("m1", 3)]
    for leftover in (work.queue, work.dlq, *work.retries):  # acked: nowhere to be found again
        assert await work.drain(leftover) == []


async def test_deferred_work_waits_in_the_retry_tiers_without_using_up_attempts(amqp, channel, work,
                                                                                fast_retries):
    attempts = []

    async def handler(message):
        attempts.append(attempt_of(message))
        if len(attempts) <= fast_retries + 2:  # more waits than there are attempts to lose
            raise Deferred("dependency in flight", retry_after=0.01)

    consumer = await start_consumer(amqp, work.name, handler)
    await publish(channel, work.name, "waits")
    await eventually(lambda: len(attempts) == fast_retries + 3, what="the last wait to end")
    await shut(consumer)

    assert set(attempts) == {1}
    for leftover in (work.queue, work.dlq, *work.retries):
        assert await work.drain(leftover) == []


async def test_permanent_error_is_dead_lettered_with_its_reason_and_the_next_message_goes_on(
        amqp, channel, work):
    handled = []

    async def handler(message):
        if message.message_id == "poison":
            raise ValidationFailed("total_amount is missing")
        handled.append(message.message_id)

    consumer = await start_consumer(amqp, work.name, handler, prefetch=1)
    await publish(channel, work.name, "poison", "fine")
    await eventually(lambda: handled == ["fine"], what="the message after the poison one")
    await shut(consumer)

    [dead] = await work.drain(work.dlq)
    assert dead.message_id == "poison" and json.loads(dead.body) == {"id": "poison"}
    assert dead.headers[bus.REASON_HEADER] == "ValidationFailed: total_amount is missing"
    assert dead.headers["x-ledgersync-original-routing-key"] == work.name
    assert await work.drain() == []


@pytest.mark.parametrize("error, reason", [
    (RetryableError("provider down"), "RetryableError: provider down"),
    (KeyError("total"), "KeyError: 'total'"),  # a bug in a handler: retried, then parked
])
async def test_a_message_failing_every_attempt_is_parked_with_retries_exhausted(
        amqp, channel, work, fast_retries, error, reason):
    attempts = []

    async def handler(message):
        attempts.append(attempt_of(message))
        raise error

    consumer = await start_consumer(amqp, work.name, handler)
    await publish(channel, work.name, "doomed")
    dead = await eventually(lambda: work.drain(work.dlq), what="the dead letter")
    await shut(consumer)

    assert attempts == list(range(1, fast_retries + 1))
    assert [m.message_id for m in dead] == ["doomed"]
    assert dead[0].headers[bus.REASON_HEADER] == \
        f"retries exhausted after {fast_retries} attempts: {reason}"
    for leftover in (work.queue, *work.retries):
        assert await work.drain(leftover) == []


async def test_while_the_database_is_away_a_message_waits_without_using_up_attempts(
        amqp, channel, work, fast_retries):
    """An outage longer than every retry tier together dead-letters nothing: the probe says the
    database is away, so the attempt count stays; once it is back the message goes through."""
    attempts, probes = [], []
    outage = fast_retries + 3  # more failed deliveries than there are attempts to lose

    async def database_up() -> bool:
        probes.append(len(attempts))
        return len(attempts) > outage

    async def handler(message):
        attempts.append(attempt_of(message))
        if len(attempts) <= outage:
            raise ConnectionRefusedError("connect call failed ('127.0.0.1', 5432)")

    consumer = await start_consumer(amqp, work.name, handler, database_up=database_up)
    await publish(channel, work.name, "waits-for-pg")
    await eventually(lambda: len(attempts) == outage + 1, what="the delivery after the outage")
    await shut(consumer)

    assert set(attempts) == {1} and len(probes) == outage
    for leftover in (work.queue, work.dlq, *work.retries):
        assert await work.drain(leftover) == []


async def test_the_same_error_with_the_database_up_uses_up_attempts_and_is_dead_lettered(
        amqp, channel, work, fast_retries):
    attempts = []

    async def database_up() -> bool:
        return True  # the database answers: the handler's own connection trouble is a failure

    async def handler(message):
        attempts.append(attempt_of(message))
        raise ConnectionResetError("reset by peer")

    consumer = await start_consumer(amqp, work.name, handler, database_up=database_up)
    await publish(channel, work.name, "fails")
    dead = await eventually(lambda: work.drain(work.dlq), what="the dead letter")
    await shut(consumer)

    assert attempts == list(range(1, fast_retries + 1))
    assert [m.message_id for m in dead] == ["fails"]


async def test_the_broker_dead_letters_a_message_requeued_past_the_delivery_limit(channel, work):
    await publish(channel, work.name, "requeued")
    deliveries = 0
    while (message := await work.queue.get(fail=False)) is not None:  # a crash loop, by hand
        deliveries += 1
        await message.nack(requeue=True)
        assert deliveries <= topology.DELIVERY_LIMIT + 1, "the delivery limit never applied"

    [dead] = await eventually(lambda: work.drain(work.dlq), what="the dead letter")
    assert deliveries == topology.DELIVERY_LIMIT + 1
    assert dead.message_id == "requeued"
    assert dead.headers["x-first-death-reason"] == "delivery_limit"


async def test_stop_lets_in_flight_handlers_finish_and_leaves_the_rest_for_the_next_consumer(
        amqp, channel, work):
    ids = [f"m{i}" for i in range(8)]
    started, finished, release = [], [], asyncio.Event()

    async def slow(message):
        started.append(message.message_id)
        await release.wait()
        finished.append(message.message_id)

    consumer = await start_consumer(amqp, work.name, slow, prefetch=2)
    await publish(channel, work.name, *ids)
    await eventually(lambda: len(started) == 2, what="two handlers in flight")
    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done(), "stop() returned while handlers were still running"
    release.set()
    await stopping
    assert sorted(finished) == sorted(started) and len(finished) == 2
    await consumer.channel.close()  # anything delivered but unacked would return to the queue now

    handled = []

    async def fast(message):
        handled.append(message.message_id)

    successor = await start_consumer(amqp, work.name, fast)
    await eventually(lambda: len(handled) == len(ids) - 2, what="the rest of the messages")
    await shut(successor)
    assert sorted(finished + handled) == sorted(ids)  # each exactly once, none missing
    assert await work.drain() == [] and await work.drain(work.dlq) == []


async def test_serve_returns_only_after_its_consumers_finished_their_messages(amqp, channel, work):
    finished, release, stop = [], asyncio.Event(), asyncio.Event()

    async def slow(message):
        await release.wait()
        finished.append(message.message_id)

    consumer_channel = await bus.open_channel(amqp, prefetch=1)
    consumer = Consumer(consumer_channel, bus.Publisher(consumer_channel), work.name, slow)
    serving = asyncio.create_task(lifecycle.serve([lifecycle.ConsumerComponent("c", consumer)], stop))
    try:
        await publish(channel, work.name, "first", "second")
        await eventually(lambda: consumer._inflight, what="the first message in flight")
        stop.set()  # what SIGTERM does
        await asyncio.sleep(0.05)
        assert not serving.done(), "serve() returned with a message in flight"
        release.set()
        await asyncio.wait_for(serving, 5)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):  # serve() leaves its handlers installed
            asyncio.get_running_loop().remove_signal_handler(sig)
        await consumer_channel.close()
    assert finished == ["first"]
    assert [m.message_id for m in await work.drain()] == ["second"]


async def test_a_handler_overrunning_the_stop_timeout_is_cancelled_and_its_message_requeued(
        amqp, channel, work):
    async def stuck(message):
        await asyncio.Event().wait()

    consumer = await start_consumer(amqp, work.name, stuck, prefetch=1)
    await publish(channel, work.name, "stuck")
    await eventually(lambda: consumer._inflight, what="the handler to start")
    await consumer.stop(timeout=0.1)

    back = await eventually(lambda: work.drain(), what="the message back in its queue")
    await consumer.channel.close()
    assert [m.message_id for m in back] == ["stuck"]
    assert back[0].headers.get("x-delivery-count") == 1  # returned once, by the nack


async def test_publishing_to_a_missing_exchange_raises(amqp):
    own = await bus.open_channel(amqp, prefetch=1)
    try:
        with pytest.raises(aiormq.exceptions.ChannelNotFoundEntity):
            await bus.Publisher(own).publish("test.no-such-exchange", "k", {"id": "lost"})
    finally:
        if not own.is_closed:
            await own.close()


async def test_a_retry_the_broker_cannot_route_is_requeued_until_the_broker_parks_it(
        amqp, channel, fast_retries):
    """The retry tier is published through the default exchange; when nothing routes it (a
    tier missing from the broker) the broker still confirms, so only a mandatory publish that
    raises keeps the message from being acked as if it were safely delayed."""
    work = await declare_work_queue(channel)  # the work queue and its DLQ, no retry tiers
    try:
        attempts = []

        async def handler(message):
            attempts.append(attempt_of(message))
            raise RetryableError("provider busy")

        consumer = await start_consumer(amqp, work.name, handler)
        await publish(channel, work.name, "unroutable-retry")
        [dead] = await eventually(lambda: work.drain(work.dlq), what="the broker to park it",
                                   timeout=60)  # 21 deliveries, each logging a traceback
        await shut(consumer)

        assert dead.message_id == "unroutable-retry"
        assert dead.headers["x-first-death-reason"] == "delivery_limit"
        assert attempts == [1] * (topology.DELIVERY_LIMIT + 1)  # never counted as a retry
        assert await work.drain() == []
    finally:
        await work.delete()


def batching(handler, batch):
    handler.batch = batch
    return handler


async def test_a_batch_handler_takes_the_messages_delivered_meanwhile_together_and_acks_them(
        amqp, channel, work):
    gate, alone, batches = asyncio.Event(), [], []

    async def handler(message):
        alone.append(message.message_id)
        await gate.wait()

    async def batch(messages):
        batches.append([m.message_id for m in messages])

    consumer = await start_consumer(amqp, work.name, batching(handler, batch))
    await publish(channel, work.name, "first")
    await eventually(lambda: alone == ["first"], what="the first message, alone")
    await publish(channel, work.name, "a", "b", "c")
    await eventually(lambda: len(consumer._waiting) == 3, what="three deliveries waiting")
    gate.set()
    await eventually(lambda: batches == [["a", "b", "c"]], what="the batch")
    await shut(consumer)

    assert alone == ["first"]
    for leftover in (work.queue, work.dlq, *work.retries):  # all acked
        assert await work.drain(leftover) == []


async def test_a_failing_batch_goes_one_by_one_and_only_the_bad_message_is_dead_lettered(
        amqp, channel, work):
    gate, alone, batches = asyncio.Event(), [], []

    async def handler(message):
        if message.message_id == "first":
            await gate.wait()
        if message.message_id == "poison":
            raise ValidationFailed("total_amount is missing")
        alone.append(message.message_id)

    async def batch(messages):
        batches.append([m.message_id for m in messages])
        raise ValidationFailed("one of them is bad")

    consumer = await start_consumer(amqp, work.name, batching(handler, batch))
    await publish(channel, work.name, "first")
    await eventually(lambda: consumer._batching is not None and not consumer._waiting, what="the first message")
    await publish(channel, work.name, "a", "poison", "b")
    await eventually(lambda: len(consumer._waiting) == 3, what="three deliveries waiting")
    gate.set()
    await eventually(lambda: alone == ["first", "a", "b"], what="the good ones, alone")
    await shut(consumer)

    assert batches == [["a", "poison", "b"]]
    [dead] = await work.drain(work.dlq)
    assert dead.message_id == "poison"
    assert dead.headers[bus.REASON_HEADER] == "ValidationFailed: total_amount is missing"
    for leftover in (work.queue, *work.retries):
        assert await work.drain(leftover) == []


async def test_what_a_batch_leaves_for_after_its_commit_settles_each_message_while_the_next_batch_runs(
        amqp, channel, work):
    """A batch that returns work per message: a message with none is acked at once; one whose
    work is still running stays unacked while the next batch is taken; failing work settles
    its own message only (here: dead-lettered with its reason)."""
    gate, batches, finished = asyncio.Event(), [], []

    async def handler(message):
        raise AssertionError("every message here goes through the batch")

    async def slow():
        await gate.wait()
        finished.append("b")

    async def bad():
        raise ValidationFailed("the provider refused it for good")

    async def batch(messages):
        ids = [m.message_id for m in messages]
        batches.append(ids)
        return [{"b": slow, "c": bad}.get(i) for i in ids]

    handler.batch_of_one = True
    consumer = await start_consumer(amqp, work.name, batching(handler, batch))
    await publish(channel, work.name, "a", "b", "c")
    await eventually(lambda: sum(len(b) for b in batches) == 3, what="a, b and c taken")
    await eventually(lambda: len(consumer._inflight) == 1, what="only b's work left running")
    await publish(channel, work.name, "d")
    await eventually(lambda: batches[-1] == ["d"], what="the next batch, while b's work runs")
    assert finished == []
    gate.set()
    await eventually(lambda: finished == ["b"] and not consumer._inflight, what="b's work done")
    await shut(consumer)

    [dead] = await work.drain(work.dlq)
    assert dead.message_id == "c"
    assert dead.headers[bus.REASON_HEADER] == "ValidationFailed: the provider refused it for good"
    for leftover in (work.queue, *work.retries):  # a, b and d acked, c's copy in the dead letters
        assert await work.drain(leftover) == []


async def test_a_batch_is_acked_at_once_only_when_nothing_before_it_is_still_open(amqp, channel, work):
    """A batch with no work left is acked with one ack (``multiple``): all before it are settled.
    While an earlier message's work still runs, its batch is acked message by message, so the
    earlier one stays unacked: here the channel is lost meanwhile and that message comes back."""
    gate, batches = asyncio.Event(), []

    async def handler(message):
        raise AssertionError("every message here goes through the batch")

    async def slow():
        await gate.wait()

    async def batch(messages):
        ids = [m.message_id for m in messages]
        batches.append(ids)
        return [slow if i == "b" else None for i in ids]

    handler.batch_of_one = True
    consumer = await start_consumer(amqp, work.name, batching(handler, batch))
    await publish(channel, work.name, "a")
    await eventually(lambda: batches == [["a"]] and not consumer._inflight, what="a acked with its batch")
    await publish(channel, work.name, "b")
    await eventually(lambda: batches[-1] == ["b"] and consumer._open == 1, what="b's work running")
    await publish(channel, work.name, "c", "d")
    await eventually(lambda: sum(len(b) for b in batches) == 4 and len(consumer._inflight) == 1,
                     what="c and d taken and acked while b's work runs")
    await consumer.channel.close()  # lost before b's work ended: only b was never acked
    gate.set()
    back = await work.drain()
    assert [m.message_id for m in back] == ["b"]
    assert batches[0] == ["a"] and "c" in sum(batches, []) and "d" in sum(batches, [])
