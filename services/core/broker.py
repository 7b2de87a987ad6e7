"""The process's broker connection, kept open by ledgersync itself rather than by the client
library's reconnect: a plain aio-pika connection, re-opened with backoff whenever it closes
(broker restart, connections force-closed, network), which consumer supervisors and publishers
wait on. A publish that fails because the connection went away is retried on the next one."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import aio_pika
import aiormq
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection

from services.core import bus, metrics, retry
from services.core.errors import RetryableError

log = structlog.get_logger(__name__)
CONNECT_TIMEOUT_S = 10.0
# the broker answered and said no (unroutable, nacked, no such exchange): retrying on another
# connection would not help, so the caller decides (postpone the outbox row, dead-letter, ...)
REFUSALS = (aiormq.exceptions.DeliveryError, aiormq.exceptions.PublishError,
            aiormq.exceptions.ChannelNotFoundEntity, aiormq.exceptions.ChannelAccessRefused)


Setup = Callable[[AbstractChannel], Awaitable[None]]


class BrokerUnavailable(RetryableError):
    """Raised when the broker stayed unreachable for as long as the caller was willing to wait."""


def reconnect_s(attempt: int) -> float:
    """The wait before reconnect (or re-subscribe) attempt ``attempt``: 0.5 s doubling up to 10 s,
    up to half of it off at random so replicas do not all come back at once."""
    return retry.backoff_s(attempt, base_s=0.5, cap_s=10.0, jitter=0.5)


def is_refusal(exc: BaseException) -> bool:
    return isinstance(exc, REFUSALS)


def _reason(exc: BaseException | None) -> str:
    return "closed" if exc is None else (f"{type(exc).__name__}: {exc}"[:300])


class Broker:
    """One AMQP connection per process; ``connection()`` waits until one is open."""

    def __init__(self, url: str, name: str = "ledgersync", setup: Setup | None = None) -> None:
        self.url, self.name, self.setup = url, name, setup
        self.current: AbstractConnection | None = None
        self._up = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._publish_channel: AbstractChannel | None = None
        self._channel_lock = asyncio.Lock()

    @property
    def is_up(self) -> bool:
        return self._up.is_set() and self.current is not None and self.current.connected.is_set()

    async def start(self, wait_s: float = CONNECT_TIMEOUT_S) -> None:
        """Start keeping the connection open; wait up to ``wait_s`` for the first one (a broker
        that is down at start is not fatal: readiness says so until it is back)."""
        self._task = asyncio.create_task(self._keep_open(), name="broker-connection")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._up.wait(), wait_s)

    async def _open(self) -> tuple[AbstractConnection, asyncio.Future]:
        lost = asyncio.get_running_loop().create_future()

        def on_close(_sender, exc: BaseException | None = None) -> None:
            if not lost.done():
                lost.set_result(exc)
        connection = await aio_pika.connect(self.url, timeout=CONNECT_TIMEOUT_S,
                                            client_properties={"connection_name": self.name})
        connection.close_callbacks.add(on_close)
        if self.setup is not None:  # e.g. the topology: a restarted broker may have lost it
            channel = await bus.open_channel(connection, prefetch=0)
            try:
                await self.setup(channel)
            except Exception:
                await connection.close()
                raise
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(channel.close(), 5)
        return connection, lost

    async def _keep_open(self) -> None:
        attempt, ever_up = 0, False
        while True:
            try:
                connection, lost = await self._open()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - refused, DNS, auth, timeout: all mean "not yet"
                attempt += 1
                delay = reconnect_s(attempt)
                log.warning("broker.connect_failed", error=_reason(exc), attempt=attempt,
                            retry_in_s=round(delay, 2))
                await asyncio.sleep(delay)
                continue
            if ever_up:
                metrics.BROKER_RECONNECTS.inc()
            log.info("broker.reconnected" if ever_up else "broker.connected", attempts=attempt + 1)
            self.current, attempt, ever_up = connection, 0, True
            self._up.set()
            try:
                exc = await lost
            finally:
                self._up.clear()
            log.warning("broker.lost", reason=_reason(exc))
            await asyncio.sleep(reconnect_s(1))

    async def connection(self, timeout: float | None = None) -> AbstractConnection:
        """The open connection; waits for one (``BrokerUnavailable`` after ``timeout`` seconds)."""
        try:
            async with asyncio.timeout(timeout):  # not wait_for: it may swallow a cancellation
                await self._up.wait()
        except TimeoutError:
            raise BrokerUnavailable(f"the broker has been unreachable for {timeout:.0f} s") from None
        return self.current

    async def publish_channel(self, timeout: float | None = None) -> AbstractChannel:
        """A channel with publisher confirms on the current connection, opened when needed."""
        channel = self._publish_channel
        if channel is not None and not channel.is_closed and self.is_up:  # the usual case: no lock
            return channel
        async with self._channel_lock:
            channel = self._publish_channel
            if channel is None or channel.is_closed or not self.is_up:
                connection = await self.connection(timeout)
                channel = self._publish_channel = await bus.open_channel(connection, prefetch=0)
            return channel

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._up.clear()
        if self.current is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.current.close(), 5)


class BrokerPublisher:
    """``bus.Publisher``'s ``publish`` on the broker's current connection. A publish lost with
    the connection is sent again on the next one, for up to ``wait_s`` seconds (the broker may
    then hold it twice: consumers dedupe by message id); a broker refusal is raised at once."""

    def __init__(self, broker: Broker, wait_s: float = 30.0) -> None:
        self.broker, self.wait_s = broker, wait_s
        self._publisher: bus.Publisher | None = None  # of the channel last published on

    def _on(self, channel) -> bus.Publisher:
        if self._publisher is None or self._publisher.channel is not channel:
            self._publisher = bus.Publisher(channel)
        return self._publisher

    async def publish(self, exchange: str, routing_key: str, body: bytes | dict, *,
                      wait_s: float | None = None, **options) -> None:
        deadline = time.monotonic() + (self.wait_s if wait_s is None else wait_s)
        attempt = 0
        while True:
            try:
                channel = await self.broker.publish_channel(max(deadline - time.monotonic(), 0.001))
                await self._on(channel).publish(exchange, routing_key, body, **options)
                return
            except (asyncio.CancelledError, BrokerUnavailable):
                raise
            except Exception as exc:
                if is_refusal(exc):
                    raise
                attempt += 1
                if time.monotonic() >= deadline:
                    raise BrokerUnavailable(f"publish to {exchange or 'default'}/{routing_key} "
                                            f"failed: {_reason(exc)}") from exc
                log.warning("broker.publish_retry", exchange=exchange, routing_key=routing_key,
                            error=_reason(exc), attempt=attempt)
                await asyncio.sleep(min(reconnect_s(attempt), max(deadline - time.monotonic(), 0)))
