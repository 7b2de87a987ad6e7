"""`ledgersync bench soak --events N`: the fault soak, with every process on its own.

api, webhook-receiver, scheduler, sandbox provider and two push-workers run as separate
processes on a database and vhost of the soak's own. After a setup through the real paths, N
invoices are published at a steady pace while the soak kills each push-worker with SIGKILL and
starts it again, restarts RabbitMQ once and PostgreSQL once (the servers themselves: the
machine's unless told otherwise) and has the sandbox answer 5xx and 429 and drop and duplicate
webhooks. Then it waits for quiet and audits the sandbox's ledger against what was published:
lost, duplicated and not settled must all be 0."""
from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

from services.bench import documents
from services.bench.isolation import free_port, isolated
from services.bench.processes import Fleet, postgres_restart_command, rabbitmq_restart_command, shell
from services.bench.scenario import connected_entity
from services.core.broker import Broker, BrokerPublisher
from services.core.migrate import migrate
from services.core.settings import Settings
from services.core.topology import DOMAIN_EXCHANGE
from services.tools.publish import declare_domain_exchange

PROVIDER_FAULTS = {"error_rate": 0.05, "rate_limit_per_minute": 900, "drop_webhook_rate": 0.05,
                   "duplicate_webhook_rate": 0.05}
FLEET_ENV = {"LEDGERSYNC_SCHEDULER_TICK_S": "2", "LEDGERSYNC_STALE_PUSH_AFTER": "10s",
             "LEDGERSYNC_SANDBOX_SEED": "8"}


@dataclass
class SoakOptions:
    events: int
    pace: float = 20.0                  # invoices published per second
    rabbitmq_node: str | None = None    # rabbitmqctl -n NODE (vhost, restart); None: the default node
    rabbitmq_restart: str | None = None  # None: rabbitmqctl [-n NODE] stop_app; sleep 3; start_app
    postgres_restart: str | None = None  # None: derived from the server's data directory
    quiet_s: float = 600.0              # how long to wait for every invoice to settle


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    faults: list[dict] = field(default_factory=list)
    last_fault: float = 0.0

    def mark(self, what: str, began: float) -> None:
        now = time.monotonic()
        self.faults.append({"fault": what, "at_s": round(began - self.started, 1),
                            "took_s": round(now - began, 1)})
        self.last_fault = now


class Exchange:
    """What the setup publishes through (scenario.publish): a publisher that survives restarts."""

    def __init__(self, publisher: BrokerPublisher) -> None:
        self.publisher = publisher

    async def publish(self, message, routing_key: str) -> None:
        await self.publisher.publish(DOMAIN_EXCHANGE, routing_key, message.body,
                                     message_id=message.message_id)


async def _faults(fleet: Fleet, options: SoakOptions, bench: Settings, timeline: Timeline,
                  period_s: float) -> None:
    rabbit = options.rabbitmq_restart or rabbitmq_restart_command(options.rabbitmq_node)
    postgres = options.postgres_restart or await postgres_restart_command(bench.database_url)

    async def kill(name: str) -> None:
        began = time.monotonic()
        fleet[name].kill()
        await asyncio.sleep(2)
        await fleet[name].start()
        timeline.mark(f"SIGKILL {name}", began)

    async def restart(what: str, command: str) -> None:
        began = time.monotonic()
        await shell(command, f"restarting {what}")
        timeline.mark(f"restart {what}", began)

    steps = [lambda: kill("push-worker-1"), lambda: restart("RabbitMQ", rabbit),
             lambda: kill("push-worker-2"), lambda: restart("PostgreSQL", postgres),
             lambda: kill("push-worker-1"), lambda: kill("push-worker-2")]
    for step in steps:
        await asyncio.sleep(period_s / (len(steps) + 1))
        await step()


async def _publish_steadily(publisher: BrokerPublisher, batch: list[dict], pace: float) -> None:
    started = time.monotonic()
    for n, event in enumerate(batch):
        await asyncio.sleep(max(0.0, started + n / pace - time.monotonic()))
        await publisher.publish(DOMAIN_EXCHANGE, event["type"], event, message_id=event["id"], wait_s=300)


async def _settled(bench: Settings, ids: list[str]) -> Counter:
    conn = await asyncpg.connect(bench.database_url, timeout=5)
    try:
        rows = await conn.fetch("SELECT sync_status, count(*) AS n FROM synced_records "
                                "WHERE object_type = 'receivable' AND object_id = ANY($1::uuid[]) "
                                "GROUP BY sync_status", ids)
    finally:
        await conn.close()
    return Counter({r["sync_status"]: r["n"] for r in rows})


async def _wait_quiet(bench: Settings, ids: list[str], quiet_s: float) -> float:
    """Until every invoice's record is done (or ``quiet_s`` passed); when the last one was."""
    deadline, done, last = time.monotonic() + quiet_s, -1, time.monotonic()
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            now_done = (await _settled(bench, ids))["done"]
            if now_done != done:
                done, last = now_done, time.monotonic()
            if done == len(ids):
                break
        await asyncio.sleep(0.5)
    return last


async def _audit(http: aiohttp.ClientSession, bench: Settings, batch: list[dict]) -> dict:
    base = f"http://127.0.0.1:{bench.sandbox_port}/admin/companies"
    async with http.get(base) as response:
        companies = await response.json()
    numbers: Counter = Counter()
    for company in companies:
        async with http.get(f"{base}/{company['id']}/invoices") as response:
            numbers.update(i.get("invoiceNumber") for i in (await response.json())["results"])
    published = [e["data"]["document_id"] for e in batch]
    statuses = await _settled(bench, [e["data"]["id"] for e in batch])
    return {"lost": sum(1 for n in published if numbers[n] == 0),
            "duplicated": sum(1 for n in published if numbers[n] > 1),
            "not_settled": len(batch) - statuses["done"], "records": dict(statuses)}


async def run_soak(settings: Settings, options: SoakOptions) -> dict:
    if options.events < 1:
        raise ValueError("events must be at least 1")
    log_dir = Path(tempfile.mkdtemp(prefix="ledgersync-soak-"))
    async with isolated(settings, rabbitmq_node=options.rabbitmq_node) as bench:
        await migrate(bench.database_url)
        fleet = Fleet.plan(bench, log_dir, free_port, FLEET_ENV)
        broker = Broker(bench.amqp_url, name="ledgersync-soak", setup=declare_domain_exchange)
        timeline = Timeline()
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
                await fleet.start(http)
                await broker.start()
                publisher = BrokerPublisher(broker, wait_s=120)
                shop = await connected_entity(http, bench, Exchange(publisher))
                batch = documents.invoices(options.events, shop.entity_id, shop.counterpart_id,
                                           shop.product_id)
                faults_url = f"http://127.0.0.1:{bench.sandbox_port}/admin/faults"
                async with http.put(faults_url, json=PROVIDER_FAULTS) as response:
                    response.raise_for_status()
                timeline = Timeline()
                period = options.events / options.pace
                await asyncio.gather(_publish_steadily(publisher, batch, options.pace),
                                     _faults(fleet, options, bench, timeline, period))
                began = time.monotonic()
                async with http.put(faults_url, json={k: None for k in PROVIDER_FAULTS}) as response:
                    response.raise_for_status()
                timeline.mark("provider faults off", began)
                last = await _wait_quiet(bench, [e["data"]["id"] for e in batch], options.quiet_s)
                audit = await _audit(http, bench, batch)
        finally:
            await broker.stop()
            await fleet.stop()
    return {"events": options.events, **{k: audit[k] for k in ("lost", "duplicated", "not_settled")},
            "last_fault_to_last_settlement_s": round(max(0.0, last - timeline.last_fault), 1),
            "seconds": round(time.monotonic() - timeline.started, 1), "pace_per_s": options.pace,
            "records": audit["records"], "faults": timeline.faults,
            "push_worker_starts": fleet["push-worker-1"].starts + fleet["push-worker-2"].starts,
            "logs": str(log_dir)}


def failures(result: dict) -> str | None:
    """What the audit found wrong, or None when nothing was lost, doubled or left unsettled."""
    bad = {k: result[k] for k in ("lost", "duplicated", "not_settled") if result[k]}
    return f"the soak's audit failed: {bad} (logs: {result['logs']})" if bad else None
