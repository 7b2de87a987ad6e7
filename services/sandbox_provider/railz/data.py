"""Railz surface: data sync and its status, the reads under ``/v2/accounting/…`` (offset and
limit paging; 202 while a dataset was never synced) and the status of push requests."""
from __future__ import annotations

from aiohttp import web

from services.sandbox_provider.clock import now_iso, parse
from services.sandbox_provider.railz import lifecycle
from services.sandbox_provider.railz.businesses import window
from services.sandbox_provider.railz.errors import RailzError, bad_request, json_object, required_text
from services.sandbox_provider.railz.keys import RAILZ
from services.sandbox_provider.railz.reads import CONVERT, READ_PATHS, TRANSACTIONAL
from services.sandbox_provider.railz.state import service_of
from services.sandbox_provider.state import Company, Connection

routes = web.RouteTableDef()
EPOCH, FAR = "1970-01-01T00:00:00.000Z", "2999-12-31T00:00:00.000Z"


def _connection(request: web.Request, connection_uuid: str | None = None) -> tuple[Company, Connection]:
    wanted = connection_uuid or request.query.get("connectionUuid")
    if not wanted:
        raise bad_request("connectionUuid should not be empty")
    return request.app[RAILZ].connection(wanted)


def meta(company: Company, connection: Connection) -> dict:
    return {"connectionUuid": connection.id, "businessName": company.name,
            "serviceName": service_of(connection.integration)}


@routes.post("/v2/data/sync")
async def sync(request: web.Request) -> web.Response:
    body = await json_object(request)
    company, connection = _connection(request, required_text(body, "connectionUuid"))
    wanted = body.get("dataTypes") or ([body["dataType"]] if body.get("dataType") else list(lifecycle.DATA_TYPES))
    unknown = [t for t in wanted if t not in lifecycle.DATA_TYPES]
    if not isinstance(wanted, list) or unknown:
        raise bad_request(f"dataTypes must be some of {', '.join(lifecycle.DATA_TYPES)}; got {unknown or wanted}")
    if connection.status != "Linked":
        raise bad_request(f"Connection {connection.id} is not active")
    started = lifecycle.start_sync(request.app, company, connection, wanted, "manualSync")
    return web.json_response({**meta(company, connection), "dataTypes": wanted,
                              "requestedOn": started["requestedOn"], "requestId": started["requestId"]})


@routes.get("/v2/data/syncStatus")
async def sync_status(request: web.Request) -> web.Response:
    company, connection = _connection(request)
    offset, limit = window(request)
    statuses = request.app[RAILZ].synced.get(connection.id, {})
    wanted = [request.query["dataType"]] if request.query.get("dataType") else list(statuses)
    items = []
    for data_type in wanted:
        status = statuses.get(data_type)
        if status is None:
            continue
        report = {"currentStatus": status["currentStatus"]}
        item = {"dataType": data_type, "reports": [report]}
        if status.get("lastSyncDate"):
            report["lastSuccessfulSync"] = item["lastSyncDate"] = item["lastUpdatedDate"] = status["lastSyncDate"]
        items.append(item)
    page = items[offset:offset + limit]
    return web.json_response({"pagination": {"offset": offset, "limit": limit, "count": len(page)},
                              "meta": meta(company, connection), "data": page})


@routes.get("/v2/data/syncInfo")
async def sync_info(request: web.Request) -> web.Response:
    company, connection = _connection(request)
    latest = request.app[RAILZ].syncs.get(connection.id)
    if latest is None:
        raise RailzError(400, f"No sync was requested for {connection.id}")
    data = {"status": latest["status"], "createdAt": latest["createdAt"], "firstSyncDate": connection.created,
            "syncType": latest["syncType"]}
    return web.json_response({"meta": meta(company, connection), "data": data})


def _in_period(record: dict, start: str | None, end: str | None) -> bool:
    moment = parse(record.get("postedDate") or record.get("date") or "")
    lower, upper = parse(start) if start else None, parse(f"{end}T23:59:59") if end else None
    return moment is None or ((lower is None or moment >= lower) and (upper is None or moment <= upper))


def _reader(path: str):
    dataset, data_type = READ_PATHS[path]

    async def read(request: web.Request) -> web.Response:
        company, connection = _connection(request)
        offset, limit = window(request)
        synced = request.app[RAILZ].synced.get(connection.id, {}).get(data_type, {})
        records = [CONVERT[path](r) for r in company.dataset(dataset).values()
                   if not (r.get("metadata") or {}).get("isDeleted")
                   and not (path == "taxRates" and r.get("status") == "Archived")]  # Railz lists no status
        if path in TRANSACTIONAL:
            start, end = request.query.get("startDate"), request.query.get("endDate")
            records = [r for r in records if _in_period(r, start, end)]
            if request.query.get("status"):
                records = [r for r in records if r.get("status") == request.query["status"]]
        pending = "lastSyncDate" not in synced
        page = [] if pending else records[offset:offset + limit]
        body = {"pagination": {"offset": offset, "limit": limit, "count": len(page)},
                "meta": {**meta(company, connection), "reportId": [f"{connection.id[4:12]}{data_type}"],
                         "createdAt": connection.created, "updatedAt": synced.get("lastSyncDate") or now_iso()},
                "data": page}
        if path in TRANSACTIONAL:
            body["meta"].update(startDate=EPOCH, endDate=FAR)
        return web.json_response(body, status=202 if pending else 200)
    return read


for _path in READ_PATHS:
    routes.get(f"/v2/accounting/{_path}", name=f"railz.read.{_path.replace('/', '.')}")(_reader(_path))


@routes.get("/v2/data/pushStatus")
async def push_status(request: web.Request) -> web.Response:
    company, connection = _connection(request)
    pushes = list(request.app[RAILZ].pushes.get(connection.id, {}).values())
    if wanted := request.query.get("pushCommunicationId"):
        pushes = [p for p in pushes if p["pushCommunicationId"] == wanted]
    return web.json_response({"meta": {**meta(company, connection), "count": len(pushes)}, "data": pushes})
