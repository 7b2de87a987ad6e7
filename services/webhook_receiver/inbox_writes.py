"""Storing verified deliveries: the ones that arrive while the writes in flight are under way
are written together, in one statement (one round trip, one commit, one wake-up of the relay),
and each is answered only after that commit. Up to ``writers`` statements are in flight at once
(each on a connection of its own), so a delivery never waits long for a commit that is not its
own, and the commits of concurrent statements share the WAL flush; each sends its deliveries in
webhook-id order, so two of them that meet on the same ids wait for each other in one order and
never deadlock. A delivery is stored once (by webhook id); a new one of a kind
we act on gets its queue message in the outbox in the same statement: its body, a
``contracts.commands.WebhookReference``, is built by the statement itself (``jsonb_build_object``
of the contract's two fields; a test holds that it parses as one)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from services.core import db
from services.core.outbox import CHANNEL
from services.core.topology import WEBHOOKS

STORE_AND_QUEUE = """WITH given AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bool[])
        AS g(webhook_id, event_type, body, handled)),
stored AS (
    INSERT INTO webhook_deliveries (provider, webhook_id, event_type, body, outcome)
    SELECT $1, webhook_id, event_type, body::jsonb, CASE WHEN handled THEN NULL ELSE 'ignored' END FROM given
    ON CONFLICT DO NOTHING RETURNING webhook_id),
queued AS (
    INSERT INTO outbox (exchange, routing_key, message_id, body, headers)
    SELECT '', $6, $1 || ':' || webhook_id, jsonb_build_object('provider', $1::text, 'webhook_id', webhook_id),
        '{}'::jsonb
    FROM stored JOIN given USING (webhook_id) WHERE handled RETURNING id),
notified AS (SELECT pg_notify($7, '') WHERE EXISTS (SELECT 1 FROM queued))
SELECT array(SELECT webhook_id FROM stored) AS stored, (SELECT count(*) FROM notified) AS notified"""


@dataclass(frozen=True)
class Delivery:
    provider: str
    webhook_id: str
    event_type: str
    body: str
    handled: bool  # of a kind we act on: queued for the processor; otherwise stored as ignored


class DeliveryStore:
    def __init__(self, pool: asyncpg.Pool, max_batch: int = 200, writers: int = 2) -> None:
        self.pool, self.max_batch, self.writers = pool, max_batch, writers
        self._waiting: list[tuple[Delivery, asyncio.Future]] = []
        self._writing: set[asyncio.Task] = set()
        self._starting = 0  # writers started that have not yet taken what waits

    async def store(self, delivery: Delivery) -> bool:
        """True when stored now, False when that webhook id was stored before."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, future))
        if not self._starting and len(self._writing) < self.writers:
            self._starting += 1
            writer = asyncio.create_task(self._write_all())
            self._writing.add(writer)
            writer.add_done_callback(self._writing.discard)
        return await future

    async def _write_all(self) -> None:
        self._starting -= 1
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
            mine = sorted(firsts.values(), key=lambda d: d.webhook_id)
            row = await self.pool.fetchrow(
                STORE_AND_QUEUE, provider, [d.webhook_id for d in mine], [d.event_type for d in mine],
                [d.body for d in mine], [d.handled for d in mine], WEBHOOKS.name, CHANNEL)
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
