"""Composition roots: which components each `ledgersync <service>` runs."""
from __future__ import annotations

import asyncio
from functools import partial

import structlog

from services.api.app import create_app as create_api
from services.bootstrap import Resources, app_deps, open_resources
from services.core.broker import BrokerPublisher
from services.core.child import ChildProcess
from services.core.http import base_app
from services.core.lifecycle import Component, ConsumerComponent, HttpComponent, TaskComponent, serve
from services.core.outbox import OutboxRelay
from services.core.settings import Settings
from services.core.topology import COMMANDS, PUSH_WORKER, WEBHOOKS
from services.partner_webhooks import wiring as partner_webhooks
from services.push import parking
from services.push_worker.command_consumer import make_command_consumer
from services.push_worker.handlers import command_handlers, event_handlers
from services.push_worker.inbox import make_domain_consumer
from services.sandbox_provider.app import create_app as create_sandbox
from services.scheduler import leader, ticks
from services.webhook_receiver.app import create_app as create_webhook_app
from services.webhook_receiver.intake import Intake
from services.webhook_receiver.processor import make_webhook_consumer

log = structlog.get_logger(__name__)


def api(res: Resources) -> list[Component]:
    s = res.settings
    return [HttpComponent("api", create_api(app_deps(res), res.ready), s.bind_host, s.api_port)]


def webhook_receiver(res: Resources) -> list[Component]:
    """Receiver and processor in one event loop (inside `ledgersync run`)."""
    s = res.settings
    intake = Intake(s.db_pool_max)  # receiving first, processing behind
    app = create_webhook_app(app_deps(res), res.ready, intake)
    return [HttpComponent("webhook-receiver", app, s.bind_host, s.webhook_port),
            *webhook_processor(res, intake)]


def webhook_processor(res: Resources, intake: Intake | None = None) -> list[Component]:
    s = res.settings
    consumer = make_webhook_consumer(res.pool, res.adapter, s.provider, intake or Intake(s.db_pool_max))
    return [ConsumerComponent("webhook-processor", res.consumer(WEBHOOKS.name, consumer))]


def webhook_receiver_alone(res: Resources) -> list[Component]:
    """`ledgersync webhook-receiver`: this process only verifies, stores and answers; the
    processor (and the outbox relay) run in a child process at a lower CPU priority, so a
    burst of deliveries is answered first and processed behind; or, with ``WEBHOOK_PROCESSOR=none``,
    in `ledgersync webhook-processor` processes of their own (scraped and probed on WORKER_PORT).
    The child's readiness is part of the receiver's /readyz, its series of the receiver's /metrics."""
    s = res.settings
    app_of = partial(create_webhook_app, app_deps(res), intake=Intake(s.db_pool_max))
    if s.webhook_processor == "none":
        return [HttpComponent("webhook-receiver", app_of(ready=res.ready), s.bind_host, s.webhook_port)]
    child = ChildProcess("webhook-processor", ["webhook-processor"], s.webhook_processor_nice)

    async def ready() -> dict:
        return {**await res.ready(), "processor": await child.state(res.http)}

    app = app_of(ready=ready, metrics_source=partial(child.metrics, res.http))
    return [child, HttpComponent("webhook-receiver", app, s.bind_host, s.webhook_port)]


def push_worker(res: Resources) -> list[Component]:
    events = res.consumer(PUSH_WORKER.name, make_domain_consumer(res.pool, event_handlers(res.pool, res.adapter)))
    commands = res.consumer(COMMANDS.name, make_command_consumer(command_handlers(res.pool, res.adapter)))
    releases = partial(parking.run_releases, res.pool, res.settings.provider_max_concurrency)
    return [ConsumerComponent("domain-events", events), ConsumerComponent("commands", commands),
            TaskComponent("parked-push-releases", releases),
            *partner_webhooks.components(res.pool, res.settings)]


def scheduler(res: Resources) -> list[Component]:
    s = res.settings
    jobs = [partial(ticks.schedule_syncs, res.pool, s.sync_interval),
            partial(ticks.expire_sync_runs, res.pool), partial(ticks.purge, res.pool),
            *ticks.extra_ticks(res.pool, s.stale_push_after)]
    return [TaskComponent("scheduler", partial(leader.lead, res.pool, jobs, every_s=s.scheduler_tick_s))]


def ops_port(res: Resources, names: list[str]) -> list[Component]:
    """/healthz, /readyz and /metrics for a process that serves no HTTP of its own (the
    push-worker on WORKER_PORT, the scheduler on SCHEDULER_PORT); otherwise its ports serve them."""
    if {"api", "webhook-receiver"} & set(names):
        return []
    name = next(n for n in ("push-worker", "webhook-processor", "scheduler") if n in names)
    port = res.settings.scheduler_port if name == "scheduler" else res.settings.worker_port
    return [HttpComponent(f"{name}-ops", base_app(name, res.ready), res.settings.bind_host, port)]


BUILDERS = {"api": api, "webhook-receiver": webhook_receiver, "push-worker": push_worker,
            "scheduler": scheduler, "webhook-processor": webhook_processor}


async def run_services(settings: Settings, names: list[str], *, sandbox: bool = False,
                       stop_event: asyncio.Event | None = None) -> None:
    """Run ``names`` (and the sandbox provider) in this process until SIGTERM or ``stop_event``."""
    components: list[Component] = []
    if sandbox:
        components.append(HttpComponent("sandbox-provider", create_sandbox(settings),
                                        settings.bind_host, settings.sandbox_port))
    if not names:
        await serve(components, stop_event)
        return
    alone = names == ["webhook-receiver"] and settings.webhook_processor != "inline"
    async with open_resources(settings) as res:
        if alone:
            components.extend(webhook_receiver_alone(res))  # the processor's process relays the outbox
        else:
            for name in names:
                components.extend(BUILDERS[name](res))
            # no waiting inside a publish: a batch cut by a lost connection goes again, in order
            relay = OutboxRelay(res.pool, BrokerPublisher(res.broker, wait_s=0))
            components.append(TaskComponent("outbox-relay", relay.run))
        components.extend(ops_port(res, names))
        log.info("services.starting", services=names, sandbox=sandbox,
                 dev_secrets=settings.uses_dev_secrets())
        await serve(components, stop_event)

