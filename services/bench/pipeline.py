"""`ledgersync bench pipeline --events N`: N receivable.issued events from publish to `done`.

Everything runs in this process, as `ledgersync run` does, on a database, RabbitMQ vhost and
ports of the bench's own: api, webhook-receiver, push-worker, scheduler and the sandbox
provider. After a setup through the real paths (scenario.py), N invoice events are published
on `domain.events`; an event's clock stops at the first `synced_record.status_changed` on
`ledgersync.events` saying its receivable is `done` (or `error`): what a partner listening to
ledgersync's events would see."""
from __future__ import annotations

import json
import time

import aio_pika
import aiohttp
from aio_pika.abc import AbstractIncomingMessage

from services.bench import documents
from services.bench.isolation import guard, isolated, running_services
from services.bench.measure import Tracker, publish_all, timeout_for
from services.bench.scenario import connected_entity
from services.core.migrate import migrate
from services.core.settings import Settings
from services.core.topology import DOMAIN_EXCHANGE, OWN_EXCHANGE
from services.sandbox_provider.state import Timing


def _listener(tracker: Tracker):
    async def on_event(message: AbstractIncomingMessage) -> None:
        data = (json.loads(message.body).get("data")) or {}
        if data.get("object_type") != "receivable":
            return
        if data.get("sync_status") == "done":
            tracker.finish(str(data.get("object_id")))
        elif data.get("sync_status") == "error":
            tracker.finish(str(data.get("object_id")), error=data.get("errors") or "error")
    return on_event


async def run_bench(settings: Settings, events: int) -> dict:
    """Publish ``events`` invoice events and time each from publish to done; returns the summary
    (events, seconds, events_per_s, p50_ms, p90_ms, p99_ms, max_ms, errors, peak_rss_mb, …)."""
    if events < 1:
        raise ValueError("events must be at least 1")
    started = time.perf_counter()
    async with isolated(settings) as bench:
        await migrate(bench.database_url)
        async with running_services(bench) as services, aiohttp.ClientSession() as http:
            amqp = await aio_pika.connect(bench.amqp_url)
            try:
                channel = await amqp.channel(publisher_confirms=True)
                exchange = await channel.declare_exchange(DOMAIN_EXCHANGE, aio_pika.ExchangeType.TOPIC,
                                                          durable=True)
                shop = await guard(services, connected_entity(http, bench, exchange))
                setup_s = round(time.perf_counter() - started, 2)
                batch = documents.invoices(events, shop.entity_id, shop.counterpart_id, shop.product_id)
                tracker = Tracker(e["data"]["id"] for e in batch)
                # listening before the first publish, so no outcome can be missed
                listen = await amqp.channel()
                queue = await listen.declare_queue(exclusive=True, auto_delete=True)
                await queue.bind(OWN_EXCHANGE, routing_key="synced_record.status_changed")
                await queue.consume(_listener(tracker), no_ack=True)
                publish_s = await guard(services, publish_all(
                    exchange, [(e["data"]["id"], e["type"], e) for e in batch], tracker))
                await guard(services, tracker.wait(timeout_for(events)))
            finally:
                await amqp.close()
    return tracker.summary(publish_s=publish_s, setup_s=setup_s, prefetch=bench.prefetch,
                           provider_delay_ms=round(Timing().complete_after_s * 1000))
