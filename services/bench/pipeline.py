"""`ledgersync bench pipeline --events N [--workers K] [--rate R]`: N receivable.issued events
from publish to `done`.

With K = 0 (the default) everything runs in this process, as `ledgersync run` does; with K ≥ 1,
K `ledgersync push-worker` and K `ledgersync webhook-receiver` processes (the first one serves
the sandbox's webhooks; every one's processor consumes) do the work, and api, scheduler and
the sandbox stay here. Always on a database, RabbitMQ vhost and ports of the bench's own. After
a setup through the real paths (scenario.py), N invoice events are published on
`domain.events`, all at once or at R per second; an event's clock stops at the first
`synced_record.status_changed` on `ledgersync.events` saying its receivable is `done` (or
`error`): what a partner listening to ledgersync's events would see. With a provider latency,
every sandbox call answers that much later, so calls pile up and the sandbox's count of calls in
flight per company shows whether the cap holds across the processes. CPU is every process's;
SQL round trips are counted in this process (K = 0: all of them)."""
from __future__ import annotations

import contextlib
import json
import time

import aio_pika
import aiohttp
from aio_pika.abc import AbstractIncomingMessage

from services.bench import documents
from services.bench.isolation import free_port, guard, isolated, running_services, wait_ready
from services.bench.measure import Tracker, publish_all, timeout_for
from services.bench.procs import Processes, cpu_s, processes, wait_consumers
from services.bench.scenario import connected_entity
from services.core.db import QUERIES
from services.core.migrate import migrate
from services.core.settings import Settings
from services.core.topology import COMMANDS, DOMAIN_EXCHANGE, OWN_EXCHANGE, PUSH_WORKER, WEBHOOKS
from services.sandbox_provider.state import Timing


def listener(tracker: Tracker):
    async def on_event(message: AbstractIncomingMessage) -> None:
        data = (json.loads(message.body).get("data")) or {}
        if data.get("object_type") not in ("receivable", "bill", "credit_note", "payment_record"):
            return
        if data.get("sync_status") == "done":
            tracker.finish(str(data.get("object_id")))
        elif data.get("sync_status") == "error":
            tracker.finish(str(data.get("object_id")), error=data.get("errors") or "error")
    return on_event


async def start_workers(bench: Settings, running: Processes, workers: int) -> None:
    """K push-workers and K webhook-receivers, subscribed before anything is published."""
    for i in range(workers):
        await running.start(bench, "push-worker")
        await running.start(bench, "webhook-receiver", webhook_port=bench.webhook_port if i == 0 else free_port())
    await wait_ready([bench.webhook_port], 60)
    await wait_consumers(bench, {PUSH_WORKER.name: workers, COMMANDS.name: workers, WEBHOOKS.name: workers},
                         running)


@contextlib.asynccontextmanager
async def pipeline(settings: Settings, workers: int = 0):
    """A bench's database, vhost and the services (in this process, or K worker processes);
    yields (bench settings, services task, processes, a broker connection)."""
    QUERIES.enable()
    async with isolated(settings) as bench:
        await migrate(bench.database_url)
        names = None if workers == 0 else ["api", "scheduler"]
        async with running_services(bench, names=names) as services, processes() as running:
            if workers:
                await guard(services, start_workers(bench, running, workers))
            amqp = await aio_pika.connect(bench.amqp_url)
            try:
                yield bench, services, running, amqp
            finally:
                await amqp.close()


async def listen(amqp, tracker: Tracker) -> None:
    """Outcomes on ledgersync.events, listened to before the first publish so none is missed."""
    channel = await amqp.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(OWN_EXCHANGE, routing_key="synced_record.status_changed")
    await queue.consume(listener(tracker), no_ack=True)


async def in_flight_peak(bench: Settings) -> int:
    """The most Codat calls the sandbox ever served at once for one company."""
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{bench.sandbox_port}/admin/in_flight") as response:
        return max((c["max"] for c in (await response.json()).values()), default=0)


async def slow_provider(bench: Settings, latency_ms: int) -> None:
    """Every Codat call of the sandbox answers ``latency_ms`` late (calls pile up in flight)."""
    async with aiohttp.ClientSession() as http, http.put(
            f"http://127.0.0.1:{bench.sandbox_port}/admin/faults", json={"latency_ms": latency_ms}) as response:
        response.raise_for_status()


async def run_bench(settings: Settings, events: int, workers: int = 0, rate: float | None = None,
                    provider_latency_ms: int = 0) -> dict:
    """Publish ``events`` invoice events and time each from publish to done; returns the summary
    (events, seconds, events_per_s, p50_ms, p90_ms, p99_ms, max_ms, errors, cpu_ms_per_event,
    queries_per_event, peak_rss_mb, in_flight_max_per_company, …)."""
    if events < 1:
        raise ValueError("events must be at least 1")
    started = time.perf_counter()
    async with pipeline(settings, workers) as (bench, services, running, amqp), aiohttp.ClientSession() as http:
        channel = await amqp.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(DOMAIN_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        shop = await guard(services, connected_entity(http, bench, exchange))
        setup_s = round(time.perf_counter() - started, 2)
        if provider_latency_ms:
            await slow_provider(bench, provider_latency_ms)
        batch = documents.invoices(events, shop.entity_id, shop.counterpart_id, shop.product_id)
        tracker = Tracker((e["data"]["id"] for e in batch),
                          {"cpu": lambda: cpu_s() + running.cpu_s(), "queries": lambda: QUERIES.count})
        await listen(amqp, tracker)
        publish_s = await guard(services, publish_all(
            exchange, [(e["data"]["id"], e["type"], e) for e in batch], tracker, rate=rate))
        await guard(services, tracker.wait(timeout_for(events)))
        extra = {"in_flight_max_per_company": await in_flight_peak(bench)}
        if workers:
            extra.update(workers=workers, queries_counted="this process only (api, scheduler, its relay)",
                         worker_peak_rss_mb=running.peak_rss_mb())
    return tracker.summary(publish_s=publish_s, setup_s=setup_s, prefetch=bench.prefetch,
                           provider_delay_ms=round(Timing().complete_after_s * 1000), rate=rate,
                           provider_latency_ms=provider_latency_ms,
                           provider_max_concurrency=bench.provider_max_concurrency, **extra)
