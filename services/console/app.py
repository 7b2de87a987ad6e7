"""The console's aiohttp sub-application, mounted by the api at /console."""
from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from services.console import actions, filters, pages, web_auth
from services.console.context import DEPS, SIGNER
from services.console.sessions import Signer
from services.app_keys import AppDeps

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
}


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/console/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def create_console(deps: AppDeps) -> web.Application:
    app = web.Application(middlewares=[security_headers, web_auth.session_middleware])
    app[DEPS] = deps
    app[SIGNER] = Signer(deps.settings.jwt_secret)
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               undefined=jinja2.StrictUndefined)
    filters.install(env)
    app.router.add_static("/static", HERE / "static", name="static")
    app.router.add_routes(web_auth.routes() + pages.routes() + actions.routes())
    return app
