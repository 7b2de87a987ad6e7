"""/v1/accounting_connections: list, create, get, disconnect, sync, data_pulls."""
from __future__ import annotations

from aiohttp import web

from contracts.api import (
    AccountingConnectionList,
    AccountingConnectionResponse,
    CreateConnectionRequest,
    DataPullQuery,
    DataPullResponse,
    MessageResponse,
)
from services.api.context import dump, entity_id, parse_body, parse_query, path_uuid, res
from services.connections import repo, service
from services.core.errors import NotFound


def _one(row, status: int = 200) -> web.Response:
    return dump(AccountingConnectionResponse.model_validate(repo.to_api(row)), status)


async def list_connections(request: web.Request) -> web.Response:
    r = res(request)
    rows = [await service.with_live_link(r.pool, r.adapter, row)
            for row in await repo.list_for_entity(r.pool, await entity_id(request))]
    return dump(AccountingConnectionList(data=[repo.to_api(row) for row in rows]))


async def create_connection(request: web.Request) -> web.Response:
    entity = await entity_id(request)
    body = await parse_body(request, CreateConnectionRequest, optional=True)
    r = res(request)
    row = await service.create(r.pool, r.adapter, r.settings.provider, entity,
                               body.platform if body else None)
    return _one(row, 201)


async def get_connection(request: web.Request) -> web.Response:
    r = res(request)
    row = await repo.get(r.pool, path_uuid(request, "connection_id"),
                         await entity_id(request))
    if row is None:
        raise NotFound("Accounting connection not found")
    return _one(await service.with_live_link(r.pool, r.adapter, row))


async def disconnect(request: web.Request) -> web.Response:
    r = res(request)
    row = await service.disconnect(r.pool, r.adapter, await entity_id(request),
                                   path_uuid(request, "connection_id"))
    return _one(row)


async def sync(request: web.Request) -> web.Response:
    _, started = await service.request_sync(
        res(request).pool, await entity_id(request),
        path_uuid(request, "connection_id"), "api")
    message = "Started connection data sync." if started else "Connection data sync is already running."
    return dump(MessageResponse(message=message), 202)


async def data_pulls(request: web.Request) -> web.Response:
    connection_id = path_uuid(request, "connection_id")
    query = parse_query(request, DataPullQuery)
    run, _ = await service.request_sync(res(request).pool, await entity_id(request), connection_id,
                                        "data_pulls")
    pull = {"id": run["id"], "connection_id": connection_id,
            "resource_type": query.resource_type or "all",
            "status": "queued" if run["status"] == "running" else run["status"],
            "requested_at": run["started_at"], "errors": None}
    return dump(DataPullResponse(data=[pull]), 202)


def routes() -> list[web.RouteDef]:
    base = "/v1/accounting_connections"
    return [
        web.get(base, list_connections),
        web.post(base, create_connection),
        web.get(base + "/{connection_id}", get_connection),
        web.post(base + "/{connection_id}/disconnect", disconnect),
        web.post(base + "/{connection_id}/sync", sync),
        web.post(base + "/{connection_id}/data_pulls", data_pulls),
    ]
