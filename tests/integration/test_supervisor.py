"""Consumer supervisors on the real RabbitMQ: a subscription killed by the broker comes back by
itself (connections force-closed, a channel closed by an error, a queue deleted under its
consumer) and every message is handled once. Queues are `test.<uuid>` ones in the run's vhost."""
from __future__ import annotations

import asyncio
import contextlib
import uuid

import aio_pika
import aiormq
import pytest

from services.core.consumer import Consumer
from services.core import bus, topology
from services.core.broker import Broker, BrokerPublisher
from services.core.supervisor import SUBSCRIBED, ConsumerSupervisor
from tests.support import infra as infra_support
from tests.support.inproc import declare_work_queue, eventually



@pytest.fixture
async def broker(infra):
    async def dead_letter_exchange(channel) -> None:
        await channel.declare_exchange(topology.DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT,
                                       durable=True)
    opened = Broker(infra.amqp_url, name=f"test-supervisor-{uuid.uuid4().hex[:6]}",
                    setup=dead_letter_exchange)
    await opened.start()
    yield opened
    await opened.stop()


@contextlib.asynccontextmanager
async def fresh_channel(broker):
    """A channel on the broker's current connection (the test's own ones die with the faults)."""
    own = await bus.open_channel(await broker.connection(timeout=30), prefetch=0)
    try:
        yield own
    finally:
        if not own.is_closed:
            await own.close()


async def leftovers(broker, queue: str) -> list[str]:
    async with fresh_channel(broker) as own:
        q = await own.get_queue(queue, ensure=False)
        taken = []
        while (message := await q.get(fail=False, no_ack=True)) is not None:
            taken.append(message.message_id)
        return taken


@contextlib.asynccontextmanager
async def supervised(broker, handler):
    """A supervisor on a fresh work queue that it re-declares when it subscribes."""
    async with fresh_channel(broker) as own:
        work = await declare_work_queue(own)

    async def declare(channel) -> None:
        await channel.declare_queue(work.name, durable=True,
                                    arguments=topology.work_queue_arguments(work.name))
    supervisor = ConsumerSupervisor(broker, work.name, handler, prefetch=4, declare=declare)
    await supervisor.start()
    try:
        yield supervisor, work.name
    finally:
        await supervisor.stop()
        async with fresh_channel(broker) as own:
            for name in (work.name, topology.dead_letter_queue(work.name)):
                await own.queue_delete(name, if_unused=False, if_empty=False)


async def send(broker, queue: str, *ids: str) -> None:
    for message_id in ids:
        await BrokerPublisher(broker).publish("", queue, {"id": message_id}, message_id=message_id)


def resumed(supervisor, before: Consumer | None):
    return supervisor.state == SUBSCRIBED and supervisor.consumer is not before


async def test_force_closed_connections_come_back_and_nothing_is_handled_twice(broker, infra):
    handled: list[str] = []

    async def handler(message):
        handled.append(message.message_id)
        await asyncio.sleep(0.01)

    async with supervised(broker, handler) as (supervisor, queue):
        assert supervisor.state == SUBSCRIBED
        ids = [f"m{i:03d}" for i in range(60)]
        await send(broker, queue, *ids[:30])
        await eventually(lambda: handled, what="the first messages")
        before = supervisor.consumer
        infra_support.rabbitmqctl("close_all_connections", "--vhost", infra.vhost, "--limit", "1000",
                                  "test: connections force-closed")
        await eventually(lambda: resumed(supervisor, before), timeout=30, what="the consumer to resume")
        await send(broker, queue, *ids[30:])  # published on the new connection
        await eventually(lambda: set(handled) == set(ids), timeout=30, what="every message")
        assert await leftovers(broker, queue) == []
        assert await leftovers(broker, topology.dead_letter_queue(queue)) == []
    # a message in flight when the channel died went back to the queue and came again: the
    # handler saw it twice, and an idempotent handler (the inbox) makes that once; none is lost
    assert set(handled) == set(ids) and len(handled) - len(set(handled)) <= 4  # at most the prefetch


async def test_a_channel_closed_by_an_error_is_reopened(broker):
    handled: list[str] = []

    async def handler(message):
        handled.append(message.message_id)

    async with supervised(broker, handler) as (supervisor, queue):
        before = supervisor.consumer
        with pytest.raises(aiormq.exceptions.ChannelNotFoundEntity):  # 404 closes the consumer's channel
            await bus.Publisher(before.channel).publish("test.no-such-exchange", "k", {"id": "x"})
        await eventually(lambda: resumed(supervisor, before), timeout=30, what="the consumer to resume")
        await send(broker, queue, "after-error")
        await eventually(lambda: handled == ["after-error"], what="the message after the error")


async def test_a_consumer_cancelled_by_the_broker_redeclares_its_queue_and_resubscribes(broker):
    handled: list[str] = []

    async def handler(message):
        handled.append(message.message_id)

    async with supervised(broker, handler) as (supervisor, queue):
        before = supervisor.consumer
        async with fresh_channel(broker) as own:  # the consumer gets basic.cancel
            await own.queue_delete(queue, if_unused=False, if_empty=False)
        await eventually(lambda: resumed(supervisor, before), timeout=30, what="the consumer to resume")
        await send(broker, queue, "after-delete")  # the queue is back: declared by the supervisor
        await eventually(lambda: handled == ["after-delete"], what="the message after the delete")
