"""The Railz consent page behind a sites link (``/sites/ste-…``, from generateUrl): choose
the accounting system, allow or deny. A link works for 5 days (``RailzTiming.link_ttl``)."""
from __future__ import annotations

from html import escape

import structlog
from aiohttp import web

from services.sandbox_provider.clock import now
from services.sandbox_provider.consent import page, template
from services.sandbox_provider.integrations import INTEGRATIONS
from services.sandbox_provider.railz import lifecycle
from services.sandbox_provider.railz.keys import RAILZ
from services.sandbox_provider.railz.state import SERVICES, SiteLink, service_of
from services.sandbox_provider.state import Company, Connection

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()
OFFERED = tuple(i for i in INTEGRATIONS if i.name in SERVICES)


def _site(request: web.Request) -> tuple[SiteLink, Company]:
    railz = request.app[RAILZ]
    link = railz.links.get(request.match_info["siteId"])
    company = railz.shared.companies.get(link.company_id) if link else None
    if link is None or company is None:
        raise web.HTTPNotFound(text=page("Link not found", "This link does not belong to any business; "
                                          "ask for a new one.", 404).text, content_type="text/html")
    if link.expires <= now():
        raise web.HTTPGone(text=page("Link expired", "This link has expired (links work for 5 days); "
                                      "ask for a new one.", 410).text, content_type="text/html")
    return link, company


@routes.get("/sites/{siteId}")
async def site(request: web.Request) -> web.Response:
    _, company = _site(request)
    options = "\n".join(f'      <option value="{escape(service_of(i))}">{escape(i.name)}</option>' for i in OFFERED)
    name = request.app[RAILZ].display_name(company)
    body = template("consent.html").substitute(company=escape(name), action=escape(request.path), options=options)
    return web.Response(text=body, content_type="text/html")


def _connection(request: web.Request, company: Company, service: str, link: SiteLink) -> Connection | None:
    """The business's pending connection to that service, else its active one, else a new one."""
    integration = next((i for i in OFFERED if service in (service_of(i), i.name, i.slug)), None)
    if integration is None:
        return None
    candidates = [c for c in company.connections.values() if c.integration is integration]
    for status in ("PendingAuth", "Linked"):
        for connection in candidates:
            if connection.status == status:
                return connection
    connection = request.app[RAILZ].new_connection(company, integration, link.url)
    lifecycle.started(request.app, company, connection)
    return connection


@routes.post("/sites/{siteId}")
async def consent(request: web.Request) -> web.Response:
    link, company = _site(request)
    form = await request.post()
    chosen = str(form.get("platform", ""))
    connection = _connection(request, company, chosen, link)
    if connection is None:
        return page("Unknown accounting system", f"{chosen!r} is not offered; choose one of "
                     f"{', '.join(i.name for i in OFFERED)}.", 400)
    platform = connection.integration.name
    if str(form.get("action", "allow")) == "deny":
        log.info("sandbox.railz_consent_denied", company_id=company.id, connection_id=connection.id)
        return page("Access denied", f"{company.name} did not share its {platform} data. "
                                      "You can close this window.")
    if connection.status != "Linked":
        lifecycle.authorized(request.app, company, connection)
    return page("Access allowed — you can close this window", f"{company.name} is now connected to {platform}.")
