"""`ledgersync bench fairness --backlog N --limit L --minutes M`: two tenants, one throttled.

The sandbox answers 429 (with Retry-After) to company A above L requests per minute. A's backlog
of N invoices is published and taken in (every invoice has its synced record, the command
queue is empty: what is left waits for the provider's limit); then one invoice of company B is
published. Printed: how long B's invoice took from publish to `done`, and how many of A's
invoices were done per minute over the M minutes after A's first publish, against L (the
sandbox's window slides, so whole minutes from the start are the fair measure)."""
from __future__ import annotations

import asyncio
import time

import aio_pika
import aiohttp

from services.bench import documents
from services.bench.isolation import BenchError, guard
from services.bench.measure import Tracker, publish_all
from services.bench.pipeline import in_flight_peak, listen, pipeline
from services.bench.scenario import connected_entity, wait_until
from services.core.db import create_pool
from services.core.settings import Settings
from services.core.topology import COMMANDS, DOMAIN_EXCHANGE, PUSH_WORKER


async def _throttle(http: aiohttp.ClientSession, bench: Settings, entity_id: str, limit: int) -> None:
    base = f"http://127.0.0.1:{bench.sandbox_port}/admin/companies"
    async with http.get(base) as response:
        company = next(c["id"] for c in await response.json() if c["tags"].get("entity_id") == entity_id)
    async with http.put(f"{base}/{company}/faults", json={"rate_limit_per_minute": limit}) as response:
        if response.status != 200:
            raise BenchError(f"setup: the sandbox refused the rate limit: {await response.text()}")


async def _taken_in(amqp, pool, connection_id: str, backlog: int) -> bool:
    channel = await amqp.channel()
    try:
        queued = sum([(await channel.declare_queue(q, passive=True)).declaration_result.message_count
                      for q in (PUSH_WORKER.name, COMMANDS.name)])
    finally:
        await channel.close()
    records = await pool.fetchval("SELECT count(*) FROM synced_records WHERE connection_id = $1 "
                                  "AND object_type = 'receivable'", connection_id)
    return queued == 0 and records == backlog


async def run_fairness(settings: Settings, backlog: int = 2000, limit: int = 60, minutes: float = 2.0) -> dict:
    async with pipeline(settings) as (bench, services, _, amqp), aiohttp.ClientSession() as http:
        channel = await amqp.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(DOMAIN_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        a = await guard(services, connected_entity(http, bench, exchange))
        b = await guard(services, connected_entity(http, bench, exchange))
        await _throttle(http, bench, a.entity_id, limit)
        a_batch = documents.invoices(backlog, a.entity_id, a.counterpart_id, a.product_id)
        b_batch = documents.invoices(1, b.entity_id, b.counterpart_id, b.product_id)
        a_track, b_track = Tracker(e["data"]["id"] for e in a_batch), Tracker(e["data"]["id"] for e in b_batch)
        await listen(amqp, a_track)
        await listen(amqp, b_track)
        await guard(services, publish_all(exchange, [(e["data"]["id"], e["type"], e) for e in a_batch], a_track))
        pool = await create_pool(bench.database_url, 1, 2)
        try:
            await guard(services, wait_until(lambda: _taken_in(amqp, pool, a.connection_id, backlog),
                                             "A's backlog to be taken in", timeout=120, every=0.5))
        finally:
            await pool.close()
        await guard(services, publish_all(exchange, [(e["data"]["id"], e["type"], e) for e in b_batch], b_track))
        await guard(services, b_track.wait(60))
        first, window = min(a_track.published.values()), minutes * 60
        await guard(services, asyncio.sleep(max(0.0, first + window - time.perf_counter())))
        done = sum(1 for t in a_track.finished.values() if t < first + window)
        b_ms = b_track.summary()["max_ms"]
        return {"a_backlog": backlog, "a_limit_per_minute": limit, "window_s": window,
                "a_done_in_window": done, "a_done_per_minute": round(done / minutes, 1),
                "a_share_of_limit": round(done / (limit * minutes), 3), "a_errors": len(a_track.errors),
                "b_publish_to_done_ms": b_ms, "b_errors": len(b_track.errors),
                "in_flight_max_per_company": await in_flight_peak(bench)}
