"""In-process fixtures for integration tests on the real PostgreSQL and RabbitMQ.

Databases are throwaway ones of each test (the `infra` database belongs to the running
`system`, whose outbox relay and scheduler would otherwise take our rows); queues and
exchanges are `test.<uuid>` ones in the `infra` vhost, so nothing meant for the running system
is ever consumed here.

Test modules load it with `pytest_plugins` and also import its helpers, so it is never
assertion-rewritten (it asserts nothing): PYTEST_DONT_REWRITE.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from services.core.consumer import Consumer
from services.core import bus, topology
from services.core.db import create_pool, drop_database
from services.core.migrate import migrate

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


async def eventually(predicate: Callable[[], object | Awaitable[object]], *, timeout: float = 10.0,
                     interval: float = 0.02, what: str = "the condition"):
    """Poll ``predicate`` (sync or async) until it is truthy; its value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def scratch_dsn(kind: str = "it") -> str:
    return f"{PG_SERVER}/ledgersync_{kind}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def db_dsn():
    """A freshly migrated database of this test's own, dropped afterwards."""
    dsn = scratch_dsn()
    try:
        await migrate(dsn)
        yield dsn
    finally:
        await drop_database(dsn)


@pytest.fixture
async def pool(db_dsn):
    opened = await create_pool(db_dsn, min_size=1, max_size=6)
    yield opened
    await opened.close()


@pytest.fixture(scope="session")
async def amqp(infra):
    """One broker connection to the run's vhost, with the dead-letter exchange declared."""
    connection = await bus.connect(infra.amqp_url)
    channel = await connection.channel()
    await channel.declare_exchange(topology.DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT,
                                   durable=True)
    await channel.close()
    yield connection
    await connection.close()


@pytest.fixture
async def channel(amqp):
    """A channel for declaring and publishing, opened as `open_resources` opens its own."""
    opened = await bus.open_channel(amqp, prefetch=32)
    yield opened
    if not opened.is_closed:
        await opened.close()


@dataclass
class WorkQueue:
    """A work queue with the production arguments, its DLQ and (optionally) retry tiers."""
    channel: AbstractChannel
    name: str
    queue: AbstractQueue
    dlq: AbstractQueue
    retries: list[AbstractQueue] = field(default_factory=list)

    async def drain(self, which: AbstractQueue | None = None) -> list[AbstractIncomingMessage]:
        """Take (and ack) everything ready in the work queue, or in ``which``."""
        taken = []
        while (message := await (which or self.queue).get(fail=False, no_ack=True)) is not None:
            taken.append(message)
        return taken

    async def delete(self) -> None:
        for queue in (self.queue, self.dlq, *self.retries):
            await queue.delete(if_unused=False, if_empty=False)  # quorum queues refuse if-unused


async def declare_work_queue(channel: AbstractChannel, retry_delays_s: tuple[float, ...] = ()) -> WorkQueue:
    name = f"test.{uuid.uuid4().hex[:12]}"
    dlq = await channel.declare_queue(topology.dead_letter_queue(name), durable=True,
                                      arguments={"x-queue-type": "quorum"})
    await dlq.bind(topology.DEAD_LETTER_EXCHANGE, routing_key=name)
    queue = await channel.declare_queue(name, durable=True,
                                        arguments=topology.work_queue_arguments(name))
    retries = [await channel.declare_queue(topology.retry_queue(name, tier), durable=True,
                                           arguments=topology.retry_queue_arguments(name, delay))
               for tier, delay in enumerate(retry_delays_s)]
    return WorkQueue(channel, name, queue, dlq, retries)


async def start_consumer(amqp, queue: str, handler, *, prefetch: int = 32, database_up=None):
    """A `Consumer` on a channel of its own, set up as `open_resources` sets up the real one."""
    consumer_channel = await bus.open_channel(amqp, prefetch)
    consumer = Consumer(consumer_channel, bus.Publisher(consumer_channel), queue, handler,
                            database_up=database_up)
    await consumer.start()
    return consumer
