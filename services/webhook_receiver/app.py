"""The webhook-receiver's HTTP app: create_app(deps, ready)."""
from __future__ import annotations

from aiohttp import web

from services.app_keys import DEPS, AppDeps
from services.core.http import MetricsSource, ReadyCheck, base_app
from services.webhook_receiver.intake import Intake
from services.webhook_receiver.receiver import INTAKE, STORE, receive
from services.webhook_receiver.inbox_writes import DeliveryStore


def create_app(deps: AppDeps, ready: ReadyCheck, intake: Intake,
               metrics_source: MetricsSource | None = None) -> web.Application:
    """``intake``: shared with the processor behind the queue; receiving comes first.
    ``metrics_source``: /metrics with the processor child's series (base_app)."""
    app = base_app("webhook-receiver", ready, max_body=deps.settings.max_body_bytes,
                   metrics_source=metrics_source)
    app[DEPS] = deps
    app[INTAKE] = intake
    app[STORE] = DeliveryStore(deps.pool)  # deliveries that arrive together are stored together
    app.router.add_post("/webhooks/{provider}", receive)
    return app
