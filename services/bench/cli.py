"""`ledgersync bench ...`: the subcommands, their options, and which bench each one runs."""
from __future__ import annotations

import argparse
import json

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
    return await run_bench(settings, args.events, workers=args.workers, rate=args.rate)


def show(result: dict, as_json: bool) -> str:
    return json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items())
