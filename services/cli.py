"""`ledgersync ...`: one CLI for every process and the operator's tasks."""
from __future__ import annotations

import argparse
import json
import sys
import uuid

from services.core.event_loop import run_on_loop, tune_gc
from services.core.logging import configure_logging
from services.core.settings import Settings
from services.core.topology import QUEUES
from services.partner_webhooks.replay import since_time

SERVICES = ("api", "webhook-receiver", "push-worker", "scheduler")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledgersync", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the SQL migrations (idempotent, under an advisory lock)")
    for name in SERVICES:
        sub.add_parser(name, help=f"run the {name}")
    sub.add_parser("webhook-processor", help="run only the processor of stored provider webhooks "
                   "(`webhook-receiver` starts one itself)")
    sub.add_parser("sandbox-provider", help="run the Codat-compatible sandbox provider")
    run = sub.add_parser("run", help="migrate, then run every service and the sandbox in one process")
    run.add_argument("--no-sandbox", action="store_true",
                     help="leave the sandbox provider out (it runs elsewhere, or real Codat is used)")
    partner = sub.add_parser("partner", help="manage partners").add_subparsers(dest="action", required=True)
    create = partner.add_parser("create", help="create a partner and print its credentials")
    create.add_argument("--name", required=True)
    create.add_argument("--json", action="store_true", help="print one JSON object")
    operator = sub.add_parser("operator", help="manage console operators").add_subparsers(dest="action", required=True)
    op_create = operator.add_parser("create", help="create a console operator and print its password")
    op_create.add_argument("--name", required=True)
    op_create.add_argument("--role", choices=["viewer", "admin"], default="viewer")
    op_create.add_argument("--json", action="store_true", help="print one JSON object")
    operator.add_parser("delete", help="remove an operator; their sessions end at once").add_argument(
        "--name", required=True)
    publish = sub.add_parser("publish", help="publish a domain event on domain.events (as upstream would)")
    publish.add_argument("type", help="event type, e.g. entity.created")
    publish.add_argument("--entity-id", required=True)
    publish.add_argument("--data", required=True, help="the event's data as JSON, or @file.json")
    dlq = sub.add_parser("dlq", help="inspect or replay dead letters").add_subparsers(dest="action", required=True)
    for action in ("list", "replay"):
        cmd = dlq.add_parser(action)
        cmd.add_argument("--queue", default="ledgersync.push-worker",
                         choices=[spec.name for spec in QUEUES])
        cmd.add_argument("--limit", type=int, default=50 if action == "list" else 1000)
    dlq.choices["replay"].add_argument("--key", help="replay only this dead letter (its `key` from dlq list)")
    hooks = sub.add_parser("webhooks", help="partner webhooks").add_subparsers(dest="action", required=True)
    replay = hooks.add_parser("replay", help="send failed deliveries again (prints one JSON line each)")
    replay.add_argument("--subscription", type=uuid.UUID, help="only this webhook subscription id")
    replay.add_argument("--since", type=since_time, help="only events since this ISO date-time (UTC if no offset)")
    from services.bench.cli import add_parsers as add_bench_parsers
    add_bench_parsers(sub.add_parser("bench", help="benchmarks").add_subparsers(dest="bench", required=True))
    return parser


async def _partner_create(settings: Settings, name: str, as_json: bool) -> None:
    from services.auth.partners import create_partner
    from services.core.db import create_pool
    from services.core.migrate import migrate

    await migrate(settings.database_url)
    pool = await create_pool(settings.database_url)
    try:
        creds = await create_partner(pool, name)
    finally:
        await pool.close()
    if as_json:
        print(json.dumps({"partner_id": creds.partner_id, "client_id": creds.client_id,
                          "client_secret": creds.client_secret}))
    else:
        print(f"partner_id:    {creds.partner_id}\nclient_id:     {creds.client_id}\n"
              f"client_secret: {creds.client_secret}\n(the secret is shown only once)")


async def _operator(settings: Settings, args: argparse.Namespace) -> None:
    from services.console.operators import create_operator, delete_operator
    from services.core.db import create_pool
    from services.core.errors import LedgersyncError
    from services.core.migrate import migrate

    await migrate(settings.database_url)
    pool = await create_pool(settings.database_url)
    try:
        if args.action == "delete":
            await delete_operator(pool, args.name)
            print(f"operator {args.name} deleted")
            return
        made = await create_operator(pool, args.name, args.role)
    except LedgersyncError as exc:
        raise SystemExit(f"ledgersync: {exc.message}") from None
    finally:
        await pool.close()
    if args.json:
        print(json.dumps({"name": made.name, "password": made.password, "role": made.role}))
    else:
        print(f"name:     {made.name}\nrole:     {made.role}\npassword: {made.password}\n"
              "(the password is shown only once; sign in at /console on the api's port)")


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from services.core.migrate import migrate
    from services.runner import run_services

    if args.command == "migrate":
        applied = await migrate(settings.database_url)
        print(f"migrations applied: {', '.join(applied) or 'none (up to date)'}")
    elif args.command == "partner":
        await _partner_create(settings, args.name, args.json)
    elif args.command == "operator":
        await _operator(settings, args)
    elif args.command == "publish":
        from services.tools.publish import publish
        event = await publish(settings, args.type, args.entity_id, args.data)
        print(json.dumps({"published": event["id"], "type": event["type"]}))
    elif args.command == "dlq":
        from services.tools import dlq
        found = await (dlq.list_dead(settings, args.queue, args.limit) if args.action == "list"
                       else dlq.replay_dead(settings, args.queue, args.limit, key=args.key))
        for item in found:
            print(json.dumps(item))
    elif args.command == "webhooks":
        from services.partner_webhooks.replay import replay_failed
        for item in await replay_failed(settings, args.subscription, args.since):
            print(json.dumps(item))
    elif args.command == "bench" and args.bench == "soak":
        from services.bench import cli as bench_cli
        return await bench_cli.soak(args, settings)
    elif args.command == "bench":
        from services.bench import cli as bench_cli
        print(bench_cli.show(await bench_cli.run(args, settings), args.json))
    elif args.command == "run":
        await migrate(settings.database_url)
        await run_services(settings, list(SERVICES), sandbox=not args.no_sandbox)
    elif args.command == "sandbox-provider":
        await run_services(settings, [], sandbox=True)
    else:
        await run_services(settings, [args.command])
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    # one-shot commands print results on stdout; their logs go to stderr, quietly
    quiet = args.command in ("partner", "operator", "bench", "migrate", "publish", "dlq", "webhooks")
    configure_logging(settings.log_format, "WARNING" if quiet else settings.log_level)
    tune_gc(settings.gc_threshold)
    try:
        return run_on_loop(_run(args, settings), settings.event_loop)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
