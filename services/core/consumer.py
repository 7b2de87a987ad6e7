"""The consumer wrapper: a handler's outcome becomes ack / delayed retry / dead-letter here, and
nowhere else; messages may be handled one at a time or, for a handler with a ``batch``, together."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg
import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from services.core import db, metrics, retry, topology
from services.core.bus import (ATTEMPT_HEADER, DATABASE_AWAY, DATABASE_WAIT_S, REASON_HEADER, BatchHandler,
                               DatabaseProbe, Handler, Publisher, copy_of, routing_key)
from services.core.errors import Deferred, PermanentError, RetryableError

log = structlog.get_logger(__name__)


class Consumer:
    """Consumes one queue; acks only after the handler returned (its transaction committed).

    PermanentError → dead-letter queue with the reason; RetryableError (and broker or
    database hiccups) → the next delayed-retry tier, dead-lettered once the tiers run out.
    While ``database_up`` says the database is away, a message that met it waits in the
    retry tiers without using up attempts: an outage of any length dead-letters nothing.

    A handler with a ``batch`` (``BatchHandler``) takes the messages delivered so far (up to the
    prefetch) together, one batch at a time: all are acked once it returns; if it raises, each
    message of the batch goes through the handler alone, as above (a bad one is dead-lettered
    alone, with its reason). A batch may return, per message, the work still to do once its
    transaction committed (or None): that message is settled by that work's outcome, as by a
    handler's, while the next batch is taken already. A batch none of whose messages has such
    work, while no earlier one's is still running, is acked with one ack (``multiple``).
    """

    def __init__(self, channel: AbstractChannel, publisher: Publisher, queue: str,
                 handler: Handler, inflight: set[asyncio.Task] | None = None,
                 database_up: DatabaseProbe | None = None) -> None:
        self.channel, self.publisher, self.queue, self.handler = channel, publisher, queue, handler
        self.database_up = database_up
        self._tag: str | None = None
        self._queue_obj = None
        self._inflight: set[asyncio.Task] = set() if inflight is None else inflight
        self._seconds, self._ok = metrics.MESSAGE_SECONDS.labels(queue), metrics.MESSAGES.labels(queue, "ok")
        self.batch: BatchHandler | None = getattr(handler, "batch", None)
        # a lone message goes through the batch too (to leave its after-commit work running)
        self.batch_of_one: bool = getattr(handler, "batch_of_one", False)
        self._waiting: list[AbstractIncomingMessage] = []  # delivered, for the next batch
        self._batching: asyncio.Task | None = None
        self._open = 0  # a batch's messages still settled by their after-commit work

    async def start(self) -> None:
        self._queue_obj = await self.channel.get_queue(self.queue, ensure=False)
        self._tag = await self._queue_obj.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if self.batch is not None:
            self._waiting.append(message)
            if self._batching is None:
                self._batching = asyncio.create_task(self._batches())
                self._track(self._batching)
            return
        self._track(asyncio.create_task(self._process(message)))

    def _closed(self, _task: asyncio.Task) -> None:
        self._open -= 1

    def _track(self, task: asyncio.Task) -> None:
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _batches(self) -> None:
        """Batches of the messages delivered meanwhile, one after another, until none is left."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                if len(batch) == 1 and not self.batch_of_one:
                    await self._process(batch[0])
                else:
                    await self._process_batch(batch)
        except asyncio.CancelledError:
            waiting, self._waiting = self._waiting, []
            for message in waiting:  # not started: back to the queue
                await self._requeue(message)
            raise
        finally:
            self._batching = None

    async def _process_batch(self, batch: list[AbstractIncomingMessage]) -> None:
        with structlog.contextvars.bound_contextvars(queue=self.queue, batch=len(batch)):
            try:
                with self._seconds.time():
                    still = await self.batch(batch)
            except asyncio.CancelledError:
                for message in batch:
                    await self._requeue(message)
                raise
            except Exception as exc:  # noqa: BLE001 - each one alone now: its own outcome
                log.warning("message.batch_failed", error=str(exc)[:300], error_type=type(exc).__name__)
                for message in batch:
                    await self._process(message)
                return
            try:
                if self._open == 0 and not any(still or ()):
                    # every message this channel delivered before the batch's last is settled, or
                    # in the batch (one consumer per channel, batches one after another): one ack
                    await batch[-1].ack(multiple=True)
                    self._ok.inc(len(batch))
                    return
                for message, work in zip(batch, still or [None] * len(batch), strict=True):
                    if work is None:
                        await message.ack()
                        self._ok.inc()
                    else:
                        self._open += 1
                        task = asyncio.create_task(self._process(message, work))
                        task.add_done_callback(self._closed)
                        self._track(task)
            except Exception as exc:  # noqa: BLE001 - channel gone: the broker redelivers, the handler dedupes
                log.warning("message.unacked_channel_lost", error=repr(exc))

    async def _process(self, message: AbstractIncomingMessage, work: Callable[[], Awaitable] | None = None) -> None:
        """Handle ``message`` (or run what its batch left to do) and settle it by the outcome."""
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        with structlog.contextvars.bound_contextvars(
                queue=self.queue, message_id=message.message_id, routing_key=routing_key(message),
                attempt=attempt):
            try:
                await self._settle(message, attempt, work or partial(self.handler, message))
            except asyncio.CancelledError:
                await self._requeue(message)
                raise
            except Exception as exc:  # the retry or dead-letter publish (or the ack) failed
                if self.channel.is_closed:  # unacked: the broker redelivers it, the inbox dedupes
                    log.warning("message.unacked_channel_lost", error=repr(exc))
                    return
                log.exception("message.requeued_after_publish_failure")
                await self._requeue(message)

    async def _requeue(self, message: AbstractIncomingMessage) -> None:
        try:
            await message.nack(requeue=True)
        except Exception as exc:  # noqa: BLE001 - channel gone: the broker requeues it itself
            log.warning("message.unacked_channel_lost", error=repr(exc))

    async def _settle(self, message: AbstractIncomingMessage, attempt: int, work: Callable[[], Awaitable]) -> None:
        """Run the work; ack, delay-retry or dead-letter by what it raised (the one place)."""
        try:
            with self._seconds.time():
                await work()
        except PermanentError as exc:
            await self.dead_letter(message, f"{type(exc).__name__}: {exc.message or exc}")
        except (RetryableError, *db.UNAVAILABLE, asyncpg.DeadlockDetectedError,
                asyncpg.SerializationError, OSError, asyncio.TimeoutError) as exc:
            await self.retry(message, attempt, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: retry a few times, then park it with the reason
            log.exception("message.handler_crashed")
            await self.retry(message, attempt, exc)
        else:
            await message.ack()
            self._ok.inc()

    async def _database_away(self, exc: BaseException) -> bool:
        if self.database_up is None or not isinstance(exc, DATABASE_AWAY):
            return False
        return not await self.database_up()

    async def retry(self, message: AbstractIncomingMessage, attempt: int, exc: BaseException) -> None:
        after = getattr(exc, "retry_after", None)
        waiting = isinstance(exc, Deferred) or await self._database_away(exc)
        if waiting and not isinstance(exc, Deferred):
            log.warning("message.waiting_for_database", error=str(exc), error_type=type(exc).__name__)
            tier, next_attempt = retry.retry_after_tier(DATABASE_WAIT_S), attempt
        elif waiting:  # waiting, not failing: the attempt count stays
            tier, next_attempt = retry.retry_after_tier(after or 1), attempt
        else:
            tier, next_attempt = retry.retry_tier(attempt, after), attempt + 1
            if tier is None:
                await self.dead_letter(message, f"retries exhausted after {attempt} attempts: "
                                                f"{type(exc).__name__}: {exc}")
                return
        log.warning("message.retry_scheduled", tier=tier, error=str(exc), error_type=type(exc).__name__)
        await self.publisher.publish("", topology.retry_queue(self.queue, tier),
                                     **copy_of(message, {ATTEMPT_HEADER: next_attempt}),
                                     expiration_ms=retry.jittered_ms(tier))
        await message.ack()
        metrics.MESSAGES.labels(self.queue, "deferred" if waiting else "retried").inc()

    async def dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        log.error("message.dead_lettered", reason=reason)
        await self.publisher.publish(
            topology.DEAD_LETTER_EXCHANGE, self.queue,
            **copy_of(message, {REASON_HEADER: reason[:1000]}))
        await message.ack()
        metrics.MESSAGES.labels(self.queue, "dead_lettered").inc()

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop taking messages, let in-flight ones finish; unfinished ones go back to the queue."""
        if self._tag and self._queue_obj is not None:
            try:
                await asyncio.wait_for(self._queue_obj.cancel(self._tag), 5)
            except Exception as exc:  # noqa: BLE001 - a dead channel delivers nothing more anyway
                log.warning("consumer.cancel_failed", queue=self.queue, error=repr(exc))
            self._tag = None
        if self._inflight:
            done, pending = await asyncio.wait(self._inflight, timeout=timeout)
            for task in pending:
                task.cancel()
