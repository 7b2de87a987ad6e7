"""The partner API: create_app(deps, ready) builds it from the dependencies its views use."""
from __future__ import annotations

from aiohttp import web

from contracts.openapi import build_openapi
from services.api import auth_views, connections, entity_settings, pulled, synced_records, webhook_log, webhook_subscriptions
from services.api.context import auth_middleware
from services.api.error_responses import errors_middleware
from services.app_keys import DEPS, AppDeps
from services.console.app import create_console
from services.core.http import ReadyCheck, base_app


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(build_openapi())


def create_app(deps: AppDeps, ready: ReadyCheck) -> web.Application:
    app = base_app("api", ready, max_body=deps.settings.max_body_bytes,
                   middlewares=(errors_middleware, auth_middleware))
    app[DEPS] = deps
    app.router.add_get("/openapi.json", openapi)
    for module in (auth_views, connections, entity_settings, pulled, synced_records, webhook_subscriptions,
                   webhook_log):
        app.router.add_routes(module.routes())
    app.add_subapp("/console", create_console(deps))
    return app
