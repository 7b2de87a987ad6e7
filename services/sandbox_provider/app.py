"""The sandbox provider: a Codat look-alike with a consent page and an admin API.
``create_app(settings)`` is its composition root."""
from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator

import aiohttp
import structlog
from aiohttp import web

from services.core.http import base_app
from services.core.settings import Settings
from services.sandbox_provider import admin, companies, consent, data, push
from services.sandbox_provider.background import Background
from services.sandbox_provider.keys import BACKGROUND, STATE, WEBHOOKS
from services.sandbox_provider.middleware import codat_middleware, errors_middleware
from services.sandbox_provider.railz.app import install as install_railz
from services.sandbox_provider.railz.state import RailzTiming
from services.sandbox_provider.state import SandboxState, Timing
from services.sandbox_provider.webhooks import WebhookDeliverer

log = structlog.get_logger(__name__)
SEED_ENV = "LEDGERSYNC_SANDBOX_SEED"


async def _ready() -> dict[str, str]:
    return {"state": "ok"}  # in-memory: ready as soon as it serves


def _rng(seed: int | None) -> random.Random:
    if seed is None and os.environ.get(SEED_ENV):
        seed = int(os.environ[SEED_ENV])
    return random.Random(seed)


def create_app(settings: Settings, *, timing: Timing | None = None,
               seed: int | None = None, railz_timing: RailzTiming | None = None) -> web.Application:
    """``timing`` shortens the sandbox's delays (tests); ``seed`` (or the environment variable
    LEDGERSYNC_SANDBOX_SEED) makes its fault dice reproducible."""
    app = base_app("sandbox-provider", _ready, max_body=settings.max_body_bytes,
                   middlewares=(errors_middleware, codat_middleware(settings.provider_api_key)))
    app[STATE] = SandboxState(settings.sandbox_url, _rng(seed), timing)
    app[BACKGROUND] = Background()

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            state = app[STATE]
            app[WEBHOOKS] = WebhookDeliverer(
                session, settings.webhook_target_url, settings.webhook_secrets[0],
                state.faults_for, state.rng, app[BACKGROUND], state.timing)
            log.info("sandbox.started", url=settings.sandbox_url,
                     webhook_url=settings.webhook_target_url)
            yield
            await app[BACKGROUND].close()
            app[WEBHOOKS].close()

    app.cleanup_ctx.append(lifespan)
    # aiohttp tries the /companies/… routes in this order, and pushes are most of the calls; no
    # push route's pattern matches a path another route does (test_sandbox_routes), so the order
    # decides nothing but how many patterns a push is tried against
    for module in (push, companies, data, consent, admin):
        app.router.add_routes(module.routes)
    install_railz(app, settings, railz_timing)  # the Railz surface, over the same ledger
    return app


def main() -> None:  # pragma: no cover - `ledgersync sandbox-provider` calls create_app itself
    settings = Settings()
    web.run_app(create_app(settings), host=settings.bind_host, port=settings.sandbox_port)
