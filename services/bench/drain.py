"""`ledgersync bench drain --events N [--seconds S]`: memory while a deep queue drains.

After the setup (scenario.py) with a push-worker and a webhook-receiver process, the push-worker
stops; N invoice events are published while no worker runs; then a fresh push-worker starts and
drains them. Its resident memory is sampled every half second while it works (for S seconds at
most, or until every invoice is done); printed: its peak, the invoices done meanwhile and their
rate."""
from __future__ import annotations

import asyncio
import time

import aio_pika
import aiohttp

from services.bench import documents
from services.bench.isolation import guard
from services.bench.measure import Tracker, publish_all
from services.bench.pipeline import listen, pipeline
from services.bench.procs import rss_mb, wait_consumers
from services.bench.scenario import connected_entity
from services.core.settings import Settings
from services.core.topology import COMMANDS, DOMAIN_EXCHANGE, PUSH_WORKER


async def run_drain(settings: Settings, events: int = 100_000, seconds: float = 300.0) -> dict:
    async with pipeline(settings, workers=1) as (bench, services, running, amqp), aiohttp.ClientSession() as http:
        channel = await amqp.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(DOMAIN_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        shop = await guard(services, connected_entity(http, bench, exchange))
        await running.stop_one(running.pids[0])  # the push-worker; the webhook-receiver stays
        batch = documents.invoices(events, shop.entity_id, shop.counterpart_id, shop.product_id)
        tracker = Tracker(e["data"]["id"] for e in batch)
        await listen(amqp, tracker)
        publish_s = await guard(services, publish_all(exchange, [(e["data"]["id"], e["type"], e) for e in batch],
                                                      tracker))
        del batch
        queued = (await channel.declare_queue(PUSH_WORKER.name, passive=True)).declaration_result.message_count
        worker = await running.start(bench, "push-worker")
        await wait_consumers(bench, {PUSH_WORKER.name: 1, COMMANDS.name: 1}, running)
        started, samples = time.perf_counter(), []
        while tracker.pending and time.perf_counter() - started < seconds:
            running.check()
            samples.append(rss_mb(worker))
            await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - started
        peak = rss_mb(worker, "VmHWM")
    done = len(tracker.finished)
    return {"events": events, "queued_before_start": queued, "publish_s": publish_s, "drained_s": round(elapsed, 1),
            "done": done, "done_per_s": round(done / elapsed, 1), "worker_peak_rss_mb": peak,
            "worker_rss_mb_last": samples[-1] if samples else None, "errors": len(tracker.errors)}
