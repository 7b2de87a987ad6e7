"""Storing verified deliveries: the ones that arrive while a write is in flight are written
together, in one statement (one round trip, one commit, one wake-up of the relay), and each is
answered only after that commit. A delivery is stored once (by webhook id); a new one of a kind
we act on gets its queue message in the outbox in the same statement."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from contracts.commands import WebhookReference
from services.core import db
from services.core.outbox import CHANNEL
from services.core.topology import WEBHOOKS

STORE_AND_QUEUE = """WITH given AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bool[], $6::jsonb[])
        AS g(webhook_id, event_type, body, handled, reference)),
stored AS (
    INSERT INTO webhook_deliveries (provider, webhook_id, event_type, body, outcome)
    SELECT $1, webhook_id, event_type, body::jsonb, CASE WHEN handled THEN NULL ELSE 'ignored' END FROM given
    ON CONFLICT DO NOTHING RETURNING webhook_id),
queued AS (
    INSERT INTO outbox (exchange, routing_key, message_id, body, headers)
    SELECT '', $7, $1 || ':' || webhook_id, reference, '{}'::jsonb
    FROM stored JOIN given USING (webhook_id) WHERE handled RETURNING id),
notified AS (SELECT pg_notify($8, '') WHERE EXISTS (SELECT 1 FROM queued))
SELECT array(SELECT webhook_id FROM stored) AS stored, (SELECT count(*) FROM notified) AS notified"""


@dataclass(frozen=True)
class Delivery:
    provider: str
    webhook_id: str
    event_type: str
    body: str
    handled: bool  # of a kind we act on: queued for the processor; otherwise stored as ignored


class DeliveryStore:
    def __init__(self, pool: asyncpg.Pool, max_batch: int = 200) -> None:
        self.pool, self.max_batch = pool, max_batch
        self._waiting: list[tuple[Delivery, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def store(self, delivery: Delivery) -> bool:
        """True when stored now, False when that webhook id was stored before."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            try:
                stored = await self._write([d for d, _ in batch])
            except asyncio.CancelledError as exc:  # shutting down: nobody is left waiting
                _settle(batch + self._waiting, exc)
                raise
            except Exception as exc:  # noqa: BLE001 - every waiting request gets it
                if len(batch) == 1 or isinstance(exc, db.UNAVAILABLE):
                    _settle(batch, exc)
                    continue
                # one delivery the database refuses must not fail the others: one at a time
                for one in batch:
                    try:
                        _settle([one], await self._write([one[0]]))
                    except Exception as single:  # noqa: BLE001
                        _settle([one], single)
                continue
            _settle(batch, stored)

    async def _write(self, deliveries: list[Delivery]) -> set[tuple[str, str]]:
        """The (provider, webhook id) of the deliveries stored now."""
        stored: set[tuple[str, str]] = set()
        for provider in {d.provider for d in deliveries}:
            firsts: dict[str, Delivery] = {}
            for d in deliveries:
                if d.provider == provider:
                    firsts.setdefault(d.webhook_id, d)
            mine = list(firsts.values())
            row = await self.pool.fetchrow(
                STORE_AND_QUEUE, provider, [d.webhook_id for d in mine], [d.event_type for d in mine],
                [d.body for d in mine], [d.handled for d in mine],
                [WebhookReference(provider=provider, webhook_id=d.webhook_id).model_dump(mode="json")
                 for d in mine], WEBHOOKS.name, CHANNEL)
            stored.update((provider, webhook_id) for webhook_id in row["stored"])
        return stored


def _settle(batch: list[tuple[Delivery, asyncio.Future]], result: set | BaseException) -> None:
    """Each waiting request learns whether its delivery was stored now; of two deliveries with
    one webhook id in a batch, the first is the stored one."""
    for delivery, future in batch:
        if future.done():  # its request went away
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
            continue
        key = (delivery.provider, delivery.webhook_id)
        future.set_result(key in result)
        result.discard(key)
