"""The admin API (no auth): act as the accounting system's user, inspect, inject faults."""
from __future__ import annotations

import structlog
from aiohttp import web

from services.sandbox_provider import lifecycle
from services.sandbox_provider.errors import CodatError, json_object, not_found
from services.sandbox_provider.faults import (
    FaultsInvalid,
    apply_company,
    apply_global,
    parse_faults,
)
from services.sandbox_provider.keys import STATE, WEBHOOKS
from services.sandbox_provider.ledger import add_record, replace_record
from services.sandbox_provider.railz import admin as railz_admin
from services.sandbox_provider.railz.keys import RAILZ_WEBHOOKS
from services.sandbox_provider.state import DATA_TYPES, Company

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()


def _summary(company: Company) -> dict:
    return {"id": company.id, "name": company.name, "provider": company.provider, "tags": company.tags,
            "connections": [{"id": c.id, "platformName": c.integration.name, "status": c.status}
                            for c in company.connections.values()]}


def _company(request: web.Request) -> Company:
    return request.app[STATE].company(request.match_info["companyId"])


def _dataset(request: web.Request) -> dict[str, dict]:
    company = _company(request)
    name = request.match_info["dataType"]
    if name not in DATA_TYPES:
        raise CodatError(404, f"Unknown dataType {name!r}; use one of {', '.join(DATA_TYPES)}")
    return company.dataset(name)


async def _faults_body(request: web.Request) -> dict:
    try:
        return parse_faults(await json_object(request))
    except FaultsInvalid as exc:
        raise CodatError(400, str(exc)) from None


@routes.get("/admin/companies")
async def list_companies(request: web.Request) -> web.Response:
    return web.json_response([_summary(c) for c in request.app[STATE].companies.values()])


@routes.get("/admin/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    wanted = request.query.get("eventType"), request.query.get("companyId")
    results = request.app[WEBHOOKS].log_json(*wanted) + request.app[RAILZ_WEBHOOKS].log_json(*wanted)
    return web.json_response({"results": results})


@routes.get("/admin/in_flight")
async def in_flight(request: web.Request) -> web.Response:
    """Codat calls being served per company now, and the most at once since the start."""
    return web.json_response(request.app[STATE].in_flight.to_json())


@routes.get("/admin/faults")
async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].faults.to_json())


@routes.put("/admin/faults")
async def put_faults(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.faults = apply_global(state.faults, await _faults_body(request))
    log.info("sandbox.faults_changed", scope="global", **state.faults.to_json())
    return web.json_response(state.faults.to_json())


@routes.get("/admin/companies/{companyId}")
async def get_company(request: web.Request) -> web.Response:
    company = _company(request)
    return web.json_response({**_summary(company), "codat": company.to_codat()})


@routes.get("/admin/companies/{companyId}/faults")
async def get_company_faults(request: web.Request) -> web.Response:
    company = _company(request)
    return web.json_response({**request.app[STATE].faults_for(company.id).to_json(),
                              "overrides": company.faults})


@routes.put("/admin/companies/{companyId}/faults")
async def put_company_faults(request: web.Request) -> web.Response:
    company = _company(request)
    company.faults = apply_company(company.faults, await _faults_body(request))
    log.info("sandbox.faults_changed", scope="company", company_id=company.id, **company.faults)
    return await get_company_faults(request)


@routes.post("/admin/companies/{companyId}/deauthorize")
async def deauthorize(request: web.Request) -> web.Response:
    company = _company(request)
    if company.provider == "railz":
        railz_admin.deauthorize(request.app, company)
    else:
        for connection in company.linked():
            lifecycle.disconnect(request.app[WEBHOOKS], company, connection, "Deauthorized")
    return web.json_response(_summary(company))


@routes.get("/admin/companies/{companyId}/{dataType}")
async def list_records(request: web.Request) -> web.Response:
    return web.json_response({"results": list(_dataset(request).values())})


@routes.post("/admin/companies/{companyId}/{dataType}")
async def add(request: web.Request) -> web.Response:
    dataset = _dataset(request)
    record = add_record(dataset, await json_object(request))
    log.info("sandbox.record_added", data_type=request.match_info["dataType"], record_id=record["id"])
    return web.json_response(record, status=201)


@routes.get("/admin/companies/{companyId}/{dataType}/{recordId}")
async def get_record(request: web.Request) -> web.Response:
    record = _dataset(request).get(request.match_info["recordId"])
    if record is None:
        raise not_found("record", request.match_info["recordId"])
    return web.json_response(record)


@routes.put("/admin/companies/{companyId}/{dataType}/{recordId}")
async def change(request: web.Request) -> web.Response:
    dataset, record_id = _dataset(request), request.match_info["recordId"]
    if record_id not in dataset:
        raise not_found("record", record_id)
    record = replace_record(dataset, record_id, await json_object(request))
    log.info("sandbox.record_changed", data_type=request.match_info["dataType"], record_id=record_id)
    return web.json_response(record)


@routes.delete("/admin/companies/{companyId}/{dataType}/{recordId}")
async def remove(request: web.Request) -> web.Response:
    dataset, record_id = _dataset(request), request.match_info["recordId"]
    if dataset.pop(record_id, None) is None:
        raise not_found("record", record_id)
    log.info("sandbox.record_removed", data_type=request.match_info["dataType"], record_id=record_id)
    return web.Response(status=204)
