"""Transactional outbox: rows written with the state change, relayed after commit."""
from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from functools import partial

import asyncpg
import structlog

from services.core import metrics
from services.core.broker import is_refusal
from services.core.bus import Publisher
from services.core.retry import backoff_s

log = structlog.get_logger(__name__)
CHANNEL = "ledgersync_outbox"


# The outbox row as a CTE named `queued` ($1..$5: message_args) and the relay's wake-up reading it
# (delivered at commit): one round trip, and the head of any statement that also enqueues.
QUEUED = ("queued AS (INSERT INTO outbox (exchange, routing_key, message_id, body, headers) "
          "VALUES ($1,$2,$3,$4,$5) RETURNING id)")
WAKE_RELAY = f"SELECT pg_notify('{CHANNEL}', '') FROM queued"


def message_args(exchange: str, routing_key: str, body: dict, message_id: str | None = None,
                 headers: dict | None = None) -> tuple:
    return exchange, routing_key, message_id or body.get("id") or str(uuid.uuid4()), body, headers or {}


async def enqueue(conn: asyncpg.Connection, exchange: str, routing_key: str, body: dict, *,
                  message_id: str | None = None, headers: dict | None = None) -> None:
    """Write a message to publish once the surrounding transaction commits."""
    await conn.execute(f"WITH {QUEUED} {WAKE_RELAY}",
                       *message_args(exchange, routing_key, body, message_id, headers))


def _resolve(future: asyncio.Future, *_args) -> None:
    if not future.done():
        future.set_result(None)


# A relay's one statement per round: the rows it published last round marked (``$2``; deferred
# so that a quiet round trip is shared), and the next batch claimed and read. A claim is a lease
# on ``next_attempt_at`` (no transaction is held open across the publishes): a relay that dies
# mid-batch leaves its rows to another relay once the lease ends (they may then reach the broker
# twice: consumers dedupe by message id). SKIP LOCKED and the lease keep replicas apart. The body
# is read as the JSON text PostgreSQL keeps and published as it is (not decoded and encoded again).
_CLAIM = """WITH relayed AS (UPDATE outbox SET published_at = now() WHERE id = ANY($2::bigint[])),
claimed AS (
    UPDATE outbox o SET next_attempt_at = now() + make_interval(secs => $3) FROM (
        SELECT id FROM outbox WHERE published_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
        AND id <> ALL($2::bigint[]) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) due
    WHERE o.id = due.id RETURNING o.id, o.exchange, o.routing_key, o.message_id, o.body::text AS body, o.headers, o.attempts)
SELECT * FROM claimed ORDER BY id"""
_RELAYED = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
# rows a lost connection kept from the broker: claimable again at once, in order
_RELEASE = "UPDATE outbox SET next_attempt_at = NULL WHERE id = ANY($1::bigint[]) AND published_at IS NULL"


class OutboxRelay:
    """Publishes unpublished rows in id order; replicas share the work with SKIP LOCKED and a
    lease (``claim_s``) on the rows being published. The rows a round published are marked in
    the next round's statement (or after ``poll_s`` at the latest, or when the relay stops)."""

    def __init__(self, pool: asyncpg.Pool, publisher: Publisher, batch: int = 200,
                 poll_s: float = 1.0, claim_s: float = 10.0) -> None:
        self.pool, self.publisher, self.batch, self.poll_s = pool, publisher, batch, poll_s
        self.claim_s = claim_s
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._relayed: list[int] = []  # published, not yet marked
        self._observed_at = float("-inf")

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were taken (published or postponed), 0 when
        the broker went away mid-batch (the rest goes again, in order, on the next round)."""
        relayed, self._relayed = self._relayed, []
        try:
            rows = await self.pool.fetch(_CLAIM, self.batch, relayed, self.claim_s)
        except BaseException:
            self._relayed = relayed + self._relayed  # not marked: next round
            raise
        if not rows:
            return 0
        # publish the batch at once: the broker's confirms come back pipelined
        try:
            results = await asyncio.gather(*(self.publisher.publish(
                row["exchange"], row["routing_key"], row["body"].encode(),
                message_id=row["message_id"], headers=row["headers"]) for row in rows), return_exceptions=True)
        except asyncio.CancelledError:  # stopping: the batch goes again (as a rolled-back claim would)
            await self._release(rows)
            raise
        published: Counter[str] = Counter()
        try:
            for i, (row, result) in enumerate(zip(rows, results, strict=True)):
                if isinstance(result, asyncio.CancelledError):
                    await self._release(rows[i:])
                    raise result
                if isinstance(result, BaseException) and not is_refusal(result):
                    # the connection went away: this row and every later one go again, in
                    # order, on the next connection (some may then reach the broker twice)
                    log.warning("outbox.broker_unavailable", outbox_id=row["id"], error=str(result))
                    await self._release(rows[i:])
                    return 0
                if isinstance(result, BaseException):  # refused by the broker: keep it, retry later
                    await self._postpone(self.pool, row, result)
                    continue
                self._relayed.append(row["id"])
                published[row["exchange"]] += 1
            return len(rows)
        finally:
            for exchange, n in published.items():
                metrics.OUTBOX_PUBLISHED.labels(exchange or "default").inc(n)

    async def _release(self, rows) -> None:
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError):
            await self.pool.execute(_RELEASE, [row["id"] for row in rows])

    async def flush(self) -> None:
        """Mark what was published and not yet marked (a stopping relay; else the next round does)."""
        relayed, self._relayed = self._relayed, []
        if relayed:
            try:
                await self.pool.execute(_RELAYED, relayed)
            except BaseException:
                self._relayed = relayed + self._relayed
                raise

    @staticmethod
    async def _postpone(conn, row: asyncpg.Record, error: BaseException) -> None:
        delay = backoff_s(row["attempts"] + 1, base_s=1.0, cap_s=300.0)
        log.error("outbox.publish_failed", outbox_id=row["id"], exchange=row["exchange"],
                  routing_key=row["routing_key"], error=str(error), retry_in_s=delay)
        await conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
            "next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
            row["id"], str(error)[:500], float(delay))

    async def observe(self) -> None:
        """The gauges an operator alerts on: rows waiting and the age of the oldest."""
        pending, age = await self.pool.fetchrow(
            "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
            "FROM outbox WHERE published_at IS NULL")
        metrics.OUTBOX_LAG.set(pending)
        metrics.OUTBOX_OLDEST_AGE.set(age)

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        """Hold a LISTEN connection; when the database takes it away, get another."""
        while True:
            try:
                listener = self._listener = await self.pool.acquire()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError) as exc:
                log.warning("outbox.listen_failed", error=str(exc))
                await asyncio.sleep(self.poll_s)
                continue
            gone = asyncio.get_running_loop().create_future()
            listener.add_termination_listener(partial(_resolve, gone))
            try:
                await listener.add_listener(CHANNEL, self._on_notify)
                await gone  # until the connection ends; polling covers the gap
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                log.warning("outbox.listen_failed", error=str(exc))
            finally:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(CHANNEL, self._on_notify)
                self._listener = None
                with contextlib.suppress(Exception):
                    await self.pool.release(listener)
            await asyncio.sleep(self.poll_s)

    async def run(self) -> None:
        listening = asyncio.create_task(self._listen(), name="outbox-listen")
        try:
            while True:
                self._wake.clear()  # before relaying: a NOTIFY during the relay wakes the next round
                try:
                    while await self.relay_once() == self.batch:
                        pass
                    if time.monotonic() - self._observed_at >= self.poll_s:  # gauges: once a poll, not per wake-up
                        self._observed_at = time.monotonic()
                        await self.observe()
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError) as exc:
                    log.warning("outbox.relay_failed", error=str(exc))
                    await asyncio.sleep(self.poll_s)
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
                # arrives as its timeout fires, and the relay would never stop
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_s):
                        await self._wake.wait()
        finally:
            with contextlib.suppress(Exception):  # else another relay publishes them again after the lease
                await asyncio.wait_for(self.flush(), 5)
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
