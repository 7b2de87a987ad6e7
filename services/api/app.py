"""The partner API: create_app(resources) is its composition root."""
from __future__ import annotations

from aiohttp import web

from contracts.openapi import build_openapi
from services.api import auth_views, connections, entities, pulled, records
from services.api.context import RESOURCES, auth_middleware
from services.api.errors import errors_middleware
from services.core.http import base_app
from services.core.resources import Resources


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(build_openapi())


def create_app(resources: Resources) -> web.Application:
    app = base_app("api", resources.ready, max_body=resources.settings.max_body_bytes,
                   middlewares=(errors_middleware, auth_middleware))
    app[RESOURCES] = resources
    app.router.add_get("/openapi.json", openapi)
    for module in (auth_views, connections, entities, pulled, records):
        app.router.add_routes(module.routes())
    return app
