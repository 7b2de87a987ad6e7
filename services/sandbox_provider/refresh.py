"""Pull operations: queue a refresh, complete it in the background, announce ``read.completed``."""
from __future__ import annotations

import asyncio
import uuid

import structlog
from aiohttp import web

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.keys import BACKGROUND, STATE, WEBHOOKS
from services.sandbox_provider.state import DATA_TYPES, PATH_NAMES, Company, Connection

log = structlog.get_logger(__name__)
NO_CONNECTION = "00000000-0000-0000-0000-000000000000"


def pick_connection(company: Company) -> Connection | None:
    """The Linked connection, else the newest one (its pull ends in AuthError), else none."""
    linked = company.linked()
    if linked:
        return linked[0]
    return list(company.connections.values())[-1] if company.connections else None


def start_refresh(app: web.Application, company: Company, data_types: list[str],
                  connection: Connection | None) -> list[dict]:
    """Queue one pull operation per dataType key; they complete after a short delay."""
    ops = []
    for data_type in data_types:
        op = {"id": str(uuid.uuid4()), "companyId": company.id,
              "connectionId": connection.id if connection else NO_CONNECTION,
              "dataType": data_type, "status": "Queued", "requested": now_iso(), "progress": 0,
              "isCompleted": False, "isErrored": False}
        status = company.data_status.setdefault(data_type, {"dataType": data_type})
        status.update(currentStatus="Queued", latestSyncId=op["id"])
        company.pulls.append(op)
        ops.append(op)
    app[BACKGROUND].spawn(_complete(app, company, ops, connection), name="refresh")
    return ops


def _changed_since(company: Company, data_type: str, since: str | None) -> bool:
    records = company.dataset(PATH_NAMES[data_type]).values()
    return any(since is None or r.get("modifiedDate", "") > since for r in records)


def _finish(company: Company, op: dict, connection: Connection | None) -> dict:
    status = company.data_status[op["dataType"]]
    previous = status.get("lastSuccessfulSync")
    done = now_iso()
    if connection is not None and connection.status == "Linked":
        op.update(status="Complete", progress=100, isCompleted=True, completed=done)
        status.update(currentStatus="Complete", lastSuccessfulSync=done,
                      latestSuccessfulSyncId=op["id"])
        issues, modified = [], _changed_since(company, op["dataType"], previous)
    else:
        code = "AuthError" if connection is not None else "PrerequisiteNotMet"
        message = (f"The connection to {connection.integration.name} is {connection.status}; "
                   "the company must link it again" if connection is not None
                   else "The company has no data connection; link one first")
        op.update(status=code, progress=100, isErrored=True, completed=done, errorMessage=message)
        status.update(currentStatus=code)
        issues, modified = [{"type": "error.connection", "message": message}], False
    return {"connectionId": op["connectionId"], "dataType": op["dataType"],
            "recordsModified": modified, "status": op["status"], "issues": issues}


async def _complete(app: web.Application, company: Company, ops: list[dict],
                    connection: Connection | None) -> None:
    await asyncio.sleep(app[STATE].timing.complete_after_s)
    if company.id not in app[STATE].companies:
        return
    previous = [s.get("lastSuccessfulSync") for s in
                (company.data_status[op["dataType"]] for op in ops)]
    summaries = [_finish(company, op, connection) for op in ops]
    if any(s["status"] == "Complete" for s in summaries):
        company.last_sync = connection.last_sync = now_iso()
    modified_from = min((p for p in previous if p), default=None)
    log.info("sandbox.read_completed", company_id=company.id,
             data_types=[s["dataType"] for s in summaries],
             statuses=sorted({s["status"] for s in summaries}))
    app[WEBHOOKS].send("read.completed", {"referenceCompany": company.reference(),
                                          "modifiedFromDate": modified_from,
                                          "dataTypes": summaries}, company.id)


def data_type_key(name: str) -> str | None:
    """A dataType key from either form (``chartOfAccounts`` or the path name ``accounts``)."""
    if name in PATH_NAMES:
        return name
    return DATA_TYPES.get(name)
