"""The consent page behind every link URL: pick a platform, allow (or deny) access."""
from __future__ import annotations

import functools
from html import escape
from pathlib import Path
from string import Template

from aiohttp import web

from services.sandbox_provider import lifecycle
from services.sandbox_provider.integrations import (
    INTEGRATIONS,
    Integration,
    by_key,
    find_platform,
)
from services.sandbox_provider.keys import STATE, WEBHOOKS
from services.sandbox_provider.state import Company, Connection

routes = web.RouteTableDef()
TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def page(title: str, message: str, status: int = 200) -> web.Response:
    body = template("message.html").substitute(title=escape(title), message=escape(message))
    return web.Response(text=body, status=status, content_type="text/html")


def _form(company: Company, action: str, selected: Integration | None) -> web.Response:
    options = "\n".join(
        f'      <option value="{escape(i.name)}"{" selected" if i is selected else ""}>'
        f"{escape(i.name)}</option>" for i in INTEGRATIONS)
    body = template("consent.html").substitute(company=escape(company.name),
                                                action=escape(action), options=options)
    return web.Response(text=body, content_type="text/html")


def _company(request: web.Request) -> Company:
    company = request.app[STATE].companies.get(request.match_info["companyId"])
    if company is None:
        raise web.HTTPNotFound(text=page("Link not found", "This link does not belong to any "
                                          "company; ask for a new one.", 404).text,
                               content_type="text/html")
    return company


def _start_connection(request: web.Request, company: Company) -> Connection:
    connection = company.connection_or_none(request.match_info["connectionId"])
    if connection is None:
        raise web.HTTPNotFound(text=page("Link not found", "This connection link is unknown or "
                                          "was deleted; ask for a new one.", 404).text,
                               content_type="text/html")
    return connection


def _choose(request: web.Request, company: Company, integration: Integration) -> Connection:
    """A PendingAuth connection to that platform, else a Linked one, else a new one."""
    candidates = [c for c in company.connections.values() if c.integration is integration]
    for status in ("PendingAuth", "Linked"):
        for connection in candidates:
            if connection.status == status:
                return connection
    return request.app[STATE].new_connection(company, integration)


def _decide(request: web.Request, company: Company, connection: Connection,
            action: str) -> web.Response:
    hooks = request.app[WEBHOOKS]
    platform = connection.integration.name
    if action == "deny":
        if connection.status != "Linked":
            lifecycle.announce(hooks, "connection.failed", company, connection)
        return page("Access denied", f"{company.name} did not share its {platform} data. "
                                      "You can close this window.")
    if connection.status != "Linked":
        lifecycle.link(hooks, company, connection)
    return page("Access allowed — you can close this window",
                 f"{company.name} is now connected to {platform}.")


@routes.get("/link/{companyId}")
async def company_link(request: web.Request) -> web.Response:
    return _form(_company(request), request.path, None)


@routes.post("/link/{companyId}")
async def company_consent(request: web.Request) -> web.Response:
    company = _company(request)
    form = await request.post()
    chosen = str(form.get("platform", ""))
    integration = find_platform(chosen)
    if integration is None:
        return page("Unknown platform", f"The platform {chosen!r} is not offered; choose one of "
                     f"{', '.join(i.name for i in INTEGRATIONS)}.", 400)
    connection = _choose(request, company, integration)
    return _decide(request, company, connection, str(form.get("action", "allow")))


@routes.get("/link/{companyId}/connections/{connectionId}/start")
async def connection_link(request: web.Request) -> web.Response:
    company = _company(request)
    connection = _start_connection(request, company)
    return _form(company, request.path, connection.integration)


@routes.post("/link/{companyId}/connections/{connectionId}/start")
async def connection_consent(request: web.Request) -> web.Response:
    company = _company(request)
    connection = _start_connection(request, company)
    form = await request.post()
    chosen = str(form.get("platform", "")) or connection.integration.name
    integration = find_platform(chosen)
    if integration is None:
        return page("Unknown platform", f"The platform {chosen!r} is not offered; choose one of "
                     f"{', '.join(i.name for i in INTEGRATIONS)}.", 400)
    if integration is not connection.integration:
        connection = _choose(request, company, integration)
    return _decide(request, company, connection, str(form.get("action", "allow")))


@routes.get("/static/logos/{key}.svg")
async def logo(request: web.Request) -> web.Response:
    integration = by_key(request.match_info["key"])
    if integration is None:
        raise web.HTTPNotFound()
    initials = "".join(word[0] for word in integration.name.split()[:3])
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
           '<rect width="64" height="64" rx="12" fill="#1f6feb"/>'
           f'<text x="32" y="40" font-size="20" text-anchor="middle" fill="#fff" '
           f'font-family="sans-serif">{escape(initials)}</text></svg>')
    return web.Response(text=svg, content_type="image/svg+xml")
