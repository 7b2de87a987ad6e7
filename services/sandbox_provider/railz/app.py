"""``install(app, settings)``: the Railz surface on the sandbox app, beside the Codat one."""
from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.core.settings import Settings
from services.sandbox_provider.keys import BACKGROUND, STATE
from services.sandbox_provider.railz import admin, auth, businesses, data, push, sites
from services.sandbox_provider.railz.keys import RAILZ, RAILZ_WEBHOOKS
from services.sandbox_provider.railz.state import RailzState, RailzTiming
from services.sandbox_provider.railz.webhooks import RailzWebhookDeliverer


def install(app: web.Application, settings: Settings, timing: RailzTiming | None = None) -> None:
    app[RAILZ] = RailzState(app[STATE], settings.provider_client_id, settings.provider_secret_key, timing)
    app.middlewares.append(auth.railz_middleware)

    async def webhooks(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            state = app[STATE]
            app[RAILZ_WEBHOOKS] = RailzWebhookDeliverer(
                session, settings.railz_webhook_target_url, settings.webhook_secrets[0], state.faults_for,
                state.rng, app[BACKGROUND], state.timing)
            yield
            app[RAILZ_WEBHOOKS].close()

    app.cleanup_ctx.append(webhooks)
    for module in (auth, businesses, data, push, sites, admin):
        app.router.add_routes(module.routes)
