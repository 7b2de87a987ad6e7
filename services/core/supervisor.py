"""A supervisor per consumer: it subscribes on a channel of its own, notices when the
subscription dies (channel closed by an error, consumer cancelled by the broker, connection
lost), re-declares the topology and subscribes again with backoff, and says so in the logs
(``consumer.lost`` / ``consumer.resumed``, with the queue and the reason) and in the gauge
``ledgersync_consumers_subscribed``. Messages that were in flight on a dead channel are
redelivered by the broker; nothing is acked that was not committed (``Consumer``)."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from aio_pika.abc import AbstractChannel

from services.core.consumer import Consumer
from services.core import bus, metrics
from services.core.broker import Broker, reconnect_s

log = structlog.get_logger(__name__)
SUBSCRIBED, NOT_SUBSCRIBED = "subscribed", "not subscribed"
Declare = Callable[[AbstractChannel], Awaitable[None]]


class ConsumerSupervisor:
    """Keeps ``handler`` subscribed to ``queue`` for as long as the process runs."""

    def __init__(self, broker: Broker, queue: str, handler: bus.Handler, *, prefetch: int = 32,
                 declare: Declare = bus.declare_topology, database_up: bus.DatabaseProbe | None = None) -> None:
        self.broker, self.queue, self.handler = broker, queue, handler
        self.database_up = database_up
        self.prefetch, self.declare = prefetch, declare
        self.consumer: Consumer | None = None
        self.state = NOT_SUBSCRIBED
        self._inflight: set[asyncio.Task] = set()  # across channels: stop() waits for them all
        self._task: asyncio.Task | None = None
        self._first = asyncio.Event()
        metrics.CONSUMERS.labels(queue).set(0)

    @property
    def subscribed(self) -> bool:
        return self.state == SUBSCRIBED

    async def start(self, wait_s: float = 10.0) -> None:
        """Start supervising; wait up to ``wait_s`` for the first subscription."""
        self._task = asyncio.create_task(self._supervise(), name=f"consumer:{self.queue}")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._first.wait()), wait_s)

    def _set(self, state: str) -> None:
        self.state = state
        metrics.CONSUMERS.labels(self.queue).set(1 if state == SUBSCRIBED else 0)

    async def _subscribe(self, lost: asyncio.Future) -> AbstractChannel:
        def on_lost(reason: str) -> None:
            if not lost.done():
                lost.set_result(reason)
        connection = await self.broker.connection()
        channel = await bus.open_channel(connection, self.prefetch)
        channel.close_callbacks.add(
            lambda _ch, exc=None: on_lost("channel closed" + (f": {exc!r}" if exc else "")))
        underlay = await channel.get_underlay_channel()
        underlay.on_consumer_cancel_callbacks.add(lambda _frame: on_lost("cancelled by the broker"))
        await self.declare(channel)  # the queue may have been deleted, or the broker reset
        self.consumer = Consumer(channel, bus.Publisher(channel), self.queue, self.handler,
                                     inflight=self._inflight, database_up=self.database_up)
        await self.consumer.start()
        return channel

    async def _supervise(self) -> None:
        attempt, was_lost = 0, False
        while True:
            lost = asyncio.get_running_loop().create_future()
            channel = None
            try:
                channel = await self._subscribe(lost)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker gone again, queue missing, ...
                attempt += 1
                delay = reconnect_s(attempt)
                log.warning("consumer.subscribe_failed", queue=self.queue, error=repr(exc)[:300],
                            attempt=attempt, retry_in_s=round(delay, 2))
                await self._discard(channel)
                await asyncio.sleep(delay)
                continue
            self._set(SUBSCRIBED)
            self._first.set()
            log.info("consumer.resumed" if was_lost else "consumer.started", queue=self.queue,
                     attempts=attempt + 1)
            attempt = 0
            reason = await lost
            self._set(NOT_SUBSCRIBED)
            was_lost = True
            log.warning("consumer.lost", queue=self.queue, reason=reason)
            await self._discard(channel)
            await asyncio.sleep(reconnect_s(1))

    @staticmethod
    async def _discard(channel: AbstractChannel | None) -> None:
        if channel is not None and not channel.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(channel.close(), 5)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop subscribing, let in-flight messages finish; unfinished ones go back to the queue."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            await consumer.stop(timeout)
        elif self._inflight:
            await asyncio.wait(self._inflight, timeout=timeout)
        self._set(NOT_SUBSCRIBED)
        if consumer is not None:
            await self._discard(consumer.channel)
