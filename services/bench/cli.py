"""`ledgersync bench ...`: the subcommands, their options, and which bench each one runs."""
from __future__ import annotations

import argparse
import json
import sys

from services.core.settings import Settings


def add_parsers(sub) -> None:
    pipeline = sub.add_parser("pipeline", help="invoice events from publish to done")
    baseline = sub.add_parser("baseline", help="the same round trip with only aio-pika, asyncpg and aiohttp")
    for cmd in (pipeline, baseline):
        cmd.add_argument("--events", type=int, default=200)
        cmd.add_argument("--rate", type=float, help="publish at this many events per second (default: at once)")
        cmd.add_argument("--json", action="store_true")
    pipeline.add_argument("--workers", type=int, default=0,
                          help="push-worker and webhook-receiver processes (0: everything in this process)")
    pipeline.add_argument("--with-baseline", action="store_true",
                          help="run `bench baseline` with the same N first and print the ratio")
    pipeline.add_argument("--provider-latency-ms", type=int, default=0,
                          help="the sandbox answers every call this much later (calls pile up in flight)")
    fairness = sub.add_parser("fairness", help="a throttled tenant's backlog beside another tenant's invoice")
    fairness.add_argument("--backlog", type=int, default=2000)
    fairness.add_argument("--limit", type=int, default=60, help="tenant A's provider limit, requests per minute")
    fairness.add_argument("--minutes", type=float, default=2.0, help="how long A's rate is measured")
    fairness.add_argument("--json", action="store_true")
    webhooks = sub.add_parser("webhooks", help="provider webhook ingest against a bare floor receiver")
    webhooks.add_argument("--deliveries", type=int, default=5000)
    webhooks.add_argument("--concurrency", type=int, default=64)
    webhooks.add_argument("--json", action="store_true")
    drain = sub.add_parser("drain", help="a push-worker's memory while it drains a deep queue")
    drain.add_argument("--events", type=int, default=100_000)
    drain.add_argument("--seconds", type=float, default=300.0, help="stop measuring after this long")
    drain.add_argument("--json", action="store_true")
    api = sub.add_parser("api", help="the synced-records list over many rows against a bare keyset floor")
    api.add_argument("--rows", type=int, default=1_000_000)
    api.add_argument("--requests", type=int, default=3000)
    api.add_argument("--concurrency", type=int, default=16)
    api.add_argument("--json", action="store_true")
    _soak_parser(sub)


def _soak_parser(sub) -> None:
    soak = sub.add_parser("soak", help="the fault soak; RESTARTS this machine's RabbitMQ and PostgreSQL",
                            description="The fault soak: api, webhook-receiver, scheduler, sandbox and two "
                            "push-workers as separate processes; N invoices published at a steady pace while "
                            "it kills push-workers with SIGKILL and restarts them, RESTARTS RabbitMQ once and "
                            "PostgreSQL once (the servers of LEDGERSYNC_AMQP_URL and LEDGERSYNC_DATABASE_URL: "
                            "this machine's by default, so everything else using them sees them go away) and "
                            "turns on provider faults; then it audits the sandbox's ledger (lost, duplicated, "
                            "not settled: all 0, or it exits 1).")
    soak.add_argument("--events", type=int, default=1000)
    soak.add_argument("--json", action="store_true")
    soak.add_argument("--pace", type=float, default=20.0, help="invoices published per second (default 20)")
    soak.add_argument("--amqp-url", help="the broker to run on and restart (default: LEDGERSYNC_AMQP_URL)")
    soak.add_argument("--database-url", help="the PostgreSQL server to run on and restart "
                      "(default: LEDGERSYNC_DATABASE_URL)")
    soak.add_argument("--rabbitmq-node", help="rabbitmqctl -n NODE for that broker (default: rabbitmqctl's)")
    soak.add_argument("--rabbitmq-restart", help="shell command restarting the broker (default: "
                      "rabbitmqctl [-n NODE] stop_app; sleep 3; rabbitmqctl [-n NODE] start_app)")
    soak.add_argument("--postgres-restart", help="shell command restarting PostgreSQL (default: derived from "
                      "the server's data directory: pg_ctlcluster ... restart, or pg_ctl -D ... restart)")


async def soak(args: argparse.Namespace, settings: Settings) -> int:
    """`bench soak`: prints the result; exit code 1 when the audit found anything wrong."""
    from services.bench.soak import SoakOptions, failures, run_soak

    overrides = {k: v for k, v in (("amqp_url", args.amqp_url), ("database_url", args.database_url)) if v}
    result = await run_soak(Settings(**{**settings.model_dump(), **overrides}), SoakOptions(
        events=args.events, pace=args.pace, rabbitmq_node=args.rabbitmq_node,
        rabbitmq_restart=args.rabbitmq_restart, postgres_restart=args.postgres_restart))
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    if problem := failures(result):
        print(problem, file=sys.stderr)
        return 1
    return 0


async def run(args: argparse.Namespace, settings: Settings) -> dict:
    if args.bench == "drain":
        from services.bench.drain import run_drain
        return await run_drain(settings, args.events, args.seconds)
    if args.bench == "api":
        from services.bench.api import run_api
        return await run_api(settings, args.rows, args.requests, args.concurrency)
    if args.bench == "webhooks":
        from services.bench.webhooks import run_webhooks
        return await run_webhooks(settings, args.deliveries, args.concurrency)
    if args.bench == "fairness":
        from services.bench.fairness import run_fairness
        return await run_fairness(settings, args.backlog, args.limit, args.minutes)
    if args.bench == "baseline":
        from services.bench.baseline import run_baseline
        return await run_baseline(settings, args.events, rate=args.rate)
    from services.bench.pipeline import run_bench
    floor = None
    if args.with_baseline:
        from services.bench.baseline import run_baseline
        floor = await run_baseline(settings, args.events, rate=args.rate)
    result = await run_bench(settings, args.events, workers=args.workers, rate=args.rate,
                             provider_latency_ms=args.provider_latency_ms)
    if floor is not None:
        result.update(baseline=floor, vs_baseline=round(result["events_per_s"] / floor["events_per_s"], 2),
                      cpu_vs_baseline=round(result["cpu_ms_per_event"] / floor["cpu_ms_per_event"], 2))
    return result


def show(result: dict, as_json: bool) -> str:
    return json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items())
