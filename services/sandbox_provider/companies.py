"""Codat surface: integrations, companies and connections."""
from __future__ import annotations

import structlog
from aiohttp import web

from services.sandbox_provider import lifecycle
from services.sandbox_provider.errors import (
    CodatError,
    bad_request,
    json_object,
    validation_item,
)
from services.sandbox_provider.integrations import INTEGRATIONS, by_key
from services.sandbox_provider.keys import STATE, WEBHOOKS
from services.sandbox_provider.paging import filtered, page_request, paged

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()


@routes.get("/integrations")
async def list_integrations(request: web.Request) -> web.Response:
    base = request.app[STATE].base_url
    items = [i.to_codat(base) for i in INTEGRATIONS]
    return web.json_response(paged(items, page_request(request.query), request.path))


@routes.get("/integrations/{platformKey}")
async def get_integration(request: web.Request) -> web.Response:
    integration = by_key(request.match_info["platformKey"])
    if integration is None:
        raise CodatError(404, f"No integration was found with key {request.match_info['platformKey']}")
    return web.json_response(integration.to_codat(request.app[STATE].base_url))


def _company_body(body: dict) -> tuple[str, str | None, dict[str, str]]:
    errors = []
    name, description, tags = body.get("name"), body.get("description"), body.get("tags") or {}
    if not isinstance(name, str) or not name.strip():
        errors.append(validation_item("name", "Name is required", "Required"))
    if description is not None and not isinstance(description, str):
        errors.append(validation_item("description", "Description must be a string", "Type"))
    if not isinstance(tags, dict) or len(tags) > 10 or not all(
            isinstance(k, str) and 1 <= len(k) <= 27 and isinstance(v, str) and len(v) <= 100
            for k, v in tags.items()):
        errors.append(validation_item("tags", "Tags are at most 10 string pairs; keys of 1-27 "
                                      "characters, values of at most 100", "Tags"))
    if errors:
        raise bad_request("The company is not valid", errors)
    return name.strip(), description, tags


@routes.post("/companies")
async def create_company(request: web.Request) -> web.Response:
    name, description, tags = _company_body(await json_object(request))
    company = request.app[STATE].new_company(name, description, tags)
    log.info("sandbox.company_created", company_id=company.id, tags=tags)
    return web.json_response(company.to_codat())


@routes.get("/companies")
async def list_companies(request: web.Request) -> web.Response:
    companies = [c.to_codat() for c in request.app[STATE].companies.values()]
    tags = request.query.get("tags")
    if tags:
        companies = [c for c in companies if filtered([c["tags"]], tags, "tags")]
    return web.json_response(paged(companies, page_request(request.query), request.path))


@routes.get("/companies/{companyId}")
async def get_company(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].company(request.match_info["companyId"]).to_codat())


@routes.delete("/companies/{companyId}")
async def delete_company(request: web.Request) -> web.Response:
    state = request.app[STATE]
    company = state.company(request.match_info["companyId"])
    del state.companies[company.id]
    log.info("sandbox.company_deleted", company_id=company.id)
    return web.Response(status=204)


@routes.post("/companies/{companyId}/connections")
async def create_connection(request: web.Request) -> web.Response:
    state = request.app[STATE]
    company = state.company(request.match_info["companyId"])
    key = (await json_object(request)).get("platformKey")
    integration = by_key(key) if isinstance(key, str) else None
    if integration is None:
        raise bad_request(f"Unknown platformKey {key!r}", [validation_item(
            "platformKey", f"No integration has the key {key!r}; see GET /integrations",
            "PlatformKey")])
    connection = state.new_connection(company, integration)
    log.info("sandbox.connection_created", company_id=company.id, connection_id=connection.id,
             platform=integration.name)
    return web.json_response(connection.to_codat())


@routes.get("/companies/{companyId}/connections")
async def list_connections(request: web.Request) -> web.Response:
    company = request.app[STATE].company(request.match_info["companyId"])
    connections = [c.to_codat() for c in company.connections.values()]
    return web.json_response(paged(connections, page_request(request.query), request.path))


@routes.get("/companies/{companyId}/connections/{connectionId}")
async def get_connection(request: web.Request) -> web.Response:
    company = request.app[STATE].company(request.match_info["companyId"])
    return web.json_response(company.connection(request.match_info["connectionId"]).to_codat())


@routes.patch("/companies/{companyId}/connections/{connectionId}")
async def unlink_connection(request: web.Request) -> web.Response:
    company = request.app[STATE].company(request.match_info["companyId"])
    connection = company.connection(request.match_info["connectionId"])
    status = (await json_object(request)).get("status")
    if status != "Unlinked":
        raise bad_request("Only {\"status\": \"Unlinked\"} can be set", [validation_item(
            "status", f"Cannot set the status to {status!r}; only 'Unlinked' is allowed",
            "ConnectionStatus")])
    if connection.status != "Unlinked":
        lifecycle.disconnect(request.app[WEBHOOKS], company, connection, "Unlinked")
    return web.json_response(connection.to_codat())


@routes.delete("/companies/{companyId}/connections/{connectionId}")
async def delete_connection(request: web.Request) -> web.Response:
    company = request.app[STATE].company(request.match_info["companyId"])
    connection = company.connection(request.match_info["connectionId"])
    del company.connections[connection.id]
    log.info("sandbox.connection_deleted", company_id=company.id, connection_id=connection.id)
    return web.Response(status=200)
