"""Railz surface: businesses, the consent link (generateUrl), business info, connections and
disconnect."""
from __future__ import annotations

import json
import math
import re

import structlog
from aiohttp import web

from services.sandbox_provider.clock import iso, now_iso
from services.sandbox_provider.railz import lifecycle
from services.sandbox_provider.railz.errors import bad_request, json_object, required_text
from services.sandbox_provider.railz.keys import RAILZ
from services.sandbox_provider.railz.state import DISCONNECT_REASON, RAILZ_STATUS, RailzState, service_of
from services.sandbox_provider.state import Company, Connection

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()
FORBIDDEN = re.compile(r"[%\[\]*|(){}\u201d]")  # Railz Connect: none of % [ ] * | ( ) { } ”
MAX_LIMIT = 500


def _status(company: Company) -> str:
    if any(c.status == "Linked" for c in company.connections.values()):
        return "active"
    return "inactive" if company.connections else "new"


def connection_json(company: Company, connection: Connection) -> dict:
    body = {**lifecycle.new_ids(company, connection), "status": RAILZ_STATUS[connection.status],
            "createdAt": connection.created, "updatedAt": connection.last_sync or connection.created,
            "isMockData": True}
    if connection.status in DISCONNECT_REASON:
        body["disconnectReason"] = DISCONNECT_REASON[connection.status]
    return body


def business_json(railz: RailzState, company: Company) -> dict:
    business = railz.businesses[company.id]
    return {"businessUuid": company.id, "businessName": company.name, "status": _status(company),
            "createdAt": company.created, "updatedAt": business.updated,
            # typed as strings in the list (BusinessesResponseDataV2.metadata), objects elsewhere
            "metadata": [json.dumps(m, separators=(",", ":")) for m in business.metadata],
            "connections": [connection_json(company, c) for c in company.connections.values()]}


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    try:
        value = default if raw in (None, "") else int(float(raw))
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise bad_request(f"{name} must be a number between {low} and {high}")
    return value


def window(request: web.Request, default_limit: int = 100) -> tuple[int, int]:
    return (_int(request, "offset", 0, 0, 2**31 - 1), _int(request, "limit", default_limit, 1, MAX_LIMIT))


def _metadata(value: object) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
            isinstance(m, dict) and isinstance(m.get("name"), str) and isinstance(m.get("value"), str)
            for m in value):
        raise bad_request("metadata must be an array of {name, value} objects")
    return value


@routes.post("/v2/businesses")
async def create_business(request: web.Request) -> web.Response:
    railz = request.app[RAILZ]
    body = await json_object(request)
    name = required_text(body, "businessName")
    if not 2 <= len(name) <= 40 or FORBIDDEN.search(name):
        raise bad_request("businessName must be 2 to 40 characters, none of % [ ] * | ( ) { } \u201d")
    if any(c.name == name for c in railz.railz_companies()):
        raise bad_request(f"A business named {name} already exists; businessName is unique")
    company = railz.new_business(name, _metadata(body.get("metadata")))
    log.info("sandbox.railz_business_created", company_id=company.id, business_name=name)
    return web.json_response({"businessUuid": company.id, "businessName": name, "status": "new",
                              "createdAt": company.created, "url": company.portal,
                              "metadata": railz.businesses[company.id].metadata}, status=201)


@routes.get("/v2/businesses")
async def list_businesses(request: web.Request) -> web.Response:
    railz = request.app[RAILZ]
    offset, limit = window(request)
    found = railz.railz_companies()
    if name := request.query.get("businessName"):
        found = [c for c in found if c.name == name]
    if partial := request.query.get("businessNameOrUuid"):
        found = [c for c in found if partial.lower() in c.name.lower() or partial == c.id]
    if statuses := request.query.getall("status", []):
        found = [c for c in found if _status(c) in statuses]
    page = found[offset:offset + limit]
    return web.json_response({"meta": {"count": len(found), "offset": offset, "limit": limit,
                                       "currentPage": offset // limit + 1,
                                       "totalPages": max(1, math.ceil(len(found) / limit))},
                              "data": [business_json(railz, c) for c in page]})


@routes.post("/v2/businesses/generateUrl")
async def generate_url(request: web.Request) -> web.Response:
    railz = request.app[RAILZ]
    business_uuid = required_text(await json_object(request), "businessUuid")
    company = railz.shared.companies.get(business_uuid)
    if company is None or company.provider != "railz":  # declared as the bare Error404Dto
        return web.json_response({"statusCode": 404, "message": [f"Business {business_uuid} not found"],
                                  "error": "Not Found"}, status=404)
    link = railz.new_link(company)
    log.info("sandbox.railz_link_created", company_id=company.id, site=link.id)
    return web.json_response({"url": link.url, "expiryDate": iso(link.expires)[:19].replace("T", " ")},
                             status=201)


@routes.get("/v2/businesses/info")
async def business_info(request: web.Request) -> web.Response:
    company, connection = request.app[RAILZ].connection(request.query.get("connectionUuid"))
    info = connection.connection_info or {}
    return web.json_response({
        "meta": {"connectionUuid": connection.id, "businessName": company.name,
                 "serviceName": service_of(connection.integration), "reportId": connection.id,
                 "createdAt": connection.created, "updatedAt": now_iso()},
        "data": {k: v for k, v in {"businessName": info.get("organisationName"), "legalName": info.get("legalName"),
                                   "businessEmail": info.get("email"), "baseCurrency": info.get("baseCurrency"),
                                   "businessType": "corporation" if info else None}.items() if v is not None}})


@routes.get("/v2/connections")
async def list_connections(request: web.Request) -> web.Response:
    railz, query = request.app[RAILZ], request.query
    offset, limit = window(request)
    rows = [(company, c) for company in railz.railz_companies() for c in company.connections.values()]
    for key, value_of in (("businessUuid", lambda co, c: co.id), ("businessName", lambda co, c: co.name),
                          ("connectionUuid", lambda co, c: c.id), ("status", lambda co, c: RAILZ_STATUS[c.status]),
                          ("serviceName", lambda co, c: service_of(c.integration))):
        if query.get(key):
            rows = [(co, c) for co, c in rows if value_of(co, c) == query[key]]
    page = [connection_json(co, c) for co, c in rows[offset:offset + limit]]
    return web.json_response({"meta": {"count": len(rows)}, "data": page})


@routes.put("/v2/connections/disconnect")
async def disconnect(request: web.Request) -> web.Response:
    connection_id = required_text(await json_object(request), "connectionId")
    company, connection = request.app[RAILZ].connection(connection_id)
    if connection.status not in ("Unlinked", "Deauthorized"):
        lifecycle.disconnected(request.app, company, connection, "Unlinked")
    return web.json_response({"connectionId": connection.id, "businessName": company.name,
                              "serviceName": service_of(connection.integration),
                              "status": RAILZ_STATUS[connection.status], "createdAt": connection.created,
                              "updatedAt": now_iso()})

