"""Request context of the console: resources, the signed-in operator, their CSRF token."""
from __future__ import annotations

from aiohttp import web
from aiohttp_jinja2 import render_template

from services.console.operators import Operator
from services.console.sessions import Signer
from services.app_keys import AppDeps

DEPS = web.AppKey("console_deps", AppDeps)
SIGNER = web.AppKey("console_signer", Signer)
OPERATOR = web.RequestKey("console_operator", Operator)
CSRF = web.RequestKey("console_csrf", str)
SESSION = web.RequestKey("console_session", str)


def res(request: web.Request) -> AppDeps:
    """What the console's views use: settings, the pool, the provider adapter (the api's own)."""
    return request.app[DEPS]


def render(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    """A page, with what every page shows: the operator, the CSRF token for its forms, the path."""
    return render_template(template, request, {"me": request.get(OPERATOR), "csrf_token": request.get(CSRF, ""),
                                               "path": request.path, **context}, status=status)


def operator(request: web.Request) -> Operator:
    return request[OPERATOR]
