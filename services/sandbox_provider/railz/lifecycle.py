"""Railz connection changes, data syncs and the webhooks that announce them. Newer Railz
pages spell the ids ``connectionUuid``/``businessUuid`` (login, auth), older ones
``connectionId`` (connectionStatus, data, push): the sandbox sends each event as documented."""
from __future__ import annotations

import asyncio
import uuid

import structlog
from aiohttp import web

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.keys import BACKGROUND, STATE
from services.sandbox_provider.lifecycle import connection_info
from services.sandbox_provider.railz.keys import RAILZ, RAILZ_WEBHOOKS
from services.sandbox_provider.railz.reads import READ_PATHS
from services.sandbox_provider.railz.state import DISCONNECT_REASON, RAILZ_STATUS, service_of
from services.sandbox_provider.state import Company, Connection

log = structlog.get_logger(__name__)
DATA_TYPES = tuple(name for _, name in READ_PATHS.values())


def new_ids(company: Company, connection: Connection) -> dict:
    return {"connectionUuid": connection.id, "businessUuid": company.id, "businessName": company.name,
            "serviceName": service_of(connection.integration)}


def old_ids(company: Company, connection: Connection) -> dict:
    return {"connectionId": connection.id, "businessUuid": company.id, "businessName": company.name,
            "serviceName": service_of(connection.integration)}


def started(app: web.Application, company: Company, connection: Connection) -> None:
    """The user opened the accounting system's login page: ``login``."""
    log.info("sandbox.railz_connection_started", company_id=company.id, connection_id=connection.id)
    app[RAILZ_WEBHOOKS].send("login", new_ids(company, connection), company.id)


def authorized(app: web.Application, company: Company, connection: Connection) -> None:
    """The user allowed access: ``auth``, then Railz's first sync of everything."""
    connection.status, connection.last_sync = "Linked", now_iso()
    named = app[RAILZ].display_name(company)
    connection.connection_info = {**connection_info(company), "organisationName": named, "legalName": named}
    log.info("sandbox.railz_connection_active", company_id=company.id, connection_id=connection.id)
    app[RAILZ_WEBHOOKS].send("auth", {**new_ids(company, connection), "serviceAccountRef": {
        "id": connection.id[4:12], "entityRef": {"id": "1"}}}, company.id)
    start_sync(app, company, connection, list(DATA_TYPES), "firstSync")


def disconnected(app: web.Application, company: Company, connection: Connection, status: str) -> None:
    """``Unlinked`` (the client's disconnect) or ``Deauthorized`` (the user revoked access)."""
    old = RAILZ_STATUS[connection.status]
    connection.status = status
    log.info("sandbox.railz_connection_disconnected", company_id=company.id, connection_id=connection.id,
             reason=DISCONNECT_REASON[status])
    app[RAILZ_WEBHOOKS].send("connectionStatus", {
        **old_ids(company, connection), "oldStatus": old, "newStatus": RAILZ_STATUS[status],
        "message": "The connection was disconnected", "disconnectReason": DISCONNECT_REASON[status],
        "effectiveOn": now_iso()}, company.id)


def start_sync(app: web.Application, company: Company, connection: Connection, data_types: list[str],
               kind: str) -> dict:
    request = {"requestId": str(uuid.uuid4()), "requestedOn": now_iso(), "dataTypes": data_types,
               "syncType": kind, "status": "inProgress", "createdAt": now_iso()}
    railz = app[RAILZ]
    railz.syncs[connection.id] = request
    for data_type in data_types:
        railz.synced.setdefault(connection.id, {}).setdefault(data_type, {})["currentStatus"] = "pending"
    app[BACKGROUND].spawn(_finish(app, company, connection, request), name=f"railz-sync:{connection.id}")
    return request


async def _finish(app: web.Application, company: Company, connection: Connection, request: dict) -> None:
    await asyncio.sleep(app[STATE].timing.complete_after_s)
    if company.id not in app[STATE].companies:
        return
    ok = connection.status == "Linked"
    done = now_iso()
    statuses = app[RAILZ].synced.setdefault(connection.id, {})
    for data_type in request["dataTypes"]:
        status = statuses.setdefault(data_type, {})
        status["currentStatus"] = "success" if ok else "failed"
        if ok:
            status["lastSyncDate"] = done
    request.update(status="completed" if ok else "error", syncTime=done)
    if ok:
        company.last_sync = connection.last_sync = done
    log.info("sandbox.railz_sync_completed", company_id=company.id, connection_id=connection.id, ok=ok)
    app[RAILZ_WEBHOOKS].send("data", {
        **old_ids(company, connection), "dataSyncType": request["syncType"], "sandbox": True,
        "requests": [{"id": uuid.uuid4().hex[:24], "request": data_type, "status": "success" if ok else "failed"}
                     for data_type in request["dataTypes"]]}, company.id)
