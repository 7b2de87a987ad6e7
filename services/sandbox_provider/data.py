"""Codat surface: refresh, data status, pull history, and the data list endpoints."""
from __future__ import annotations

from aiohttp import web

from services.sandbox_provider.errors import CodatError, not_found
from services.sandbox_provider.keys import STATE
from services.sandbox_provider.paging import page_request, paged
from services.sandbox_provider.refresh import (
    data_type_key,
    pick_connection,
    start_refresh,
)
from services.sandbox_provider.state import DATA_TYPES, Company

routes = web.RouteTableDef()


def _company(request: web.Request) -> Company:
    return request.app[STATE].company(request.match_info["companyId"])


@routes.post("/companies/{companyId}/data/all")
async def refresh_all(request: web.Request) -> web.Response:
    company = _company(request)
    start_refresh(request.app, company, list(DATA_TYPES.values()), pick_connection(company))
    return web.Response(status=204)


@routes.post("/companies/{companyId}/data/queue/{dataType}")
async def refresh_one(request: web.Request) -> web.Response:
    company = _company(request)
    key = data_type_key(request.match_info["dataType"])
    if key is None:
        raise CodatError(404, f"The data type {request.match_info['dataType']} is not supported")
    connection_id = request.query.get("connectionId")
    connection = company.connection(connection_id) if connection_id else pick_connection(company)
    [op] = start_refresh(request.app, company, [key], connection)
    return web.json_response(op)


@routes.get("/companies/{companyId}/dataStatus")
async def data_status(request: web.Request) -> web.Response:
    company = _company(request)
    return web.json_response({key: company.data_status.get(
        key, {"dataType": key, "currentStatus": "Initial"}) for key in DATA_TYPES.values()})


@routes.get("/companies/{companyId}/data/history")
async def pull_history(request: web.Request) -> web.Response:
    company = _company(request)
    return web.json_response(paged(company.pulls, page_request(request.query), request.path))


@routes.get("/companies/{companyId}/data/history/{datasetId}")
async def pull_operation(request: web.Request) -> web.Response:
    company = _company(request)
    wanted = request.match_info["datasetId"]
    op = next((op for op in company.pulls if op["id"] == wanted), None)
    if op is None:
        raise not_found("pull operation", wanted)
    return web.json_response(op)


def _dataset(request: web.Request) -> dict[str, dict]:
    company = _company(request)
    name = request.match_info["dataType"]
    if name not in DATA_TYPES:
        raise CodatError(404, f"The data type {name} is not supported; use one of "
                              f"{', '.join(DATA_TYPES)}")
    status = company.data_status.get(DATA_TYPES[name], {})
    if "lastSuccessfulSync" not in status:
        raise CodatError(409, f"The {DATA_TYPES[name]} dataset has not been requested or is "
                              f"still syncing; refresh it with POST /companies/{company.id}/data/all")
    return company.dataset(name)


@routes.get("/companies/{companyId}/data/{dataType}")
async def list_records(request: web.Request) -> web.Response:
    records = _dataset(request).values()
    return web.json_response(paged(records, page_request(request.query), request.path))


@routes.get("/companies/{companyId}/data/{dataType}/{recordId}")
async def get_record(request: web.Request) -> web.Response:
    record = _dataset(request).get(request.match_info["recordId"])
    if record is None:
        raise not_found(f"{request.match_info['dataType']} record", request.match_info["recordId"])
    return web.json_response(record)
