"""Transactional outbox: rows written with the state change, relayed after commit."""
from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import asyncpg
import structlog

from services.core import metrics
from services.core.bus import Publisher
from services.core.retry import backoff_s

log = structlog.get_logger(__name__)
CHANNEL = "ledgersync_outbox"


async def enqueue(conn: asyncpg.Connection, exchange: str, routing_key: str, body: dict, *,
                  message_id: str | None = None, headers: dict | None = None) -> None:
    """Write a message to publish once the surrounding transaction commits."""
    await conn.execute(
        "INSERT INTO outbox (exchange, routing_key, message_id, body, headers) VALUES ($1,$2,$3,$4,$5)",
        exchange, routing_key, message_id or body.get("id") or str(uuid.uuid4()), body, headers or {})
    await conn.execute(f"NOTIFY {CHANNEL}")


class OutboxRelay:
    """Publishes unpublished rows in id order; replicas share the work with SKIP LOCKED."""

    def __init__(self, pool: asyncpg.Pool, publisher: Publisher, batch: int = 200,
                 poll_s: float = 1.0) -> None:
        self.pool, self.publisher, self.batch, self.poll_s = pool, publisher, batch, poll_s
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were taken (published or postponed)."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, exchange, routing_key, message_id, body, headers, attempts FROM outbox "
                "WHERE published_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now()) "
                "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", self.batch)
            # publish the batch at once: the broker's confirms come back pipelined
            results = await asyncio.gather(*(self.publisher.publish(
                row["exchange"], row["routing_key"], json.dumps(row["body"]).encode(),
                message_id=row["message_id"], headers=row["headers"]) for row in rows), return_exceptions=True)
            done = []
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if isinstance(result, BaseException):  # refused by the broker: keep it, retry later
                    delay = backoff_s(row["attempts"] + 1, base_s=1.0, cap_s=300.0)
                    log.error("outbox.publish_failed", outbox_id=row["id"], exchange=row["exchange"],
                              routing_key=row["routing_key"], error=str(result), retry_in_s=delay)
                    await conn.execute(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
                        "next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                        row["id"], str(result)[:500], float(delay))
                    continue
                done.append(row["id"])
                metrics.OUTBOX_PUBLISHED.labels(row["exchange"] or "default").inc()
            if done:
                await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", done)
        return len(rows)

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def run(self) -> None:
        listener = self._listener = await self.pool.acquire()
        await listener.add_listener(CHANNEL, self._on_notify)
        try:
            while True:
                self._wake.clear()  # before relaying: a NOTIFY during the relay wakes the next round
                try:
                    while await self.relay_once() == self.batch:
                        pass
                except (asyncpg.PostgresError, OSError, asyncio.TimeoutError) as exc:
                    log.warning("outbox.relay_failed", error=str(exc))
                    await asyncio.sleep(self.poll_s)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(CHANNEL, self._on_notify)
            self._listener = None
            await self.pool.release(listener)
