"""Codat surface: push (write) endpoints, idempotency keys, asynchronous completion."""
from __future__ import annotations

import asyncio
import hashlib
from services.core.jsonio import json_bytes, json_text
import time

import structlog
from aiohttp import web

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.errors import (
    CodatError,
    bad_request,
    json_object,
    not_found,
)
from services.sandbox_provider.ids import new_id
from services.sandbox_provider.keys import BACKGROUND, STATE, WEBHOOKS
from services.sandbox_provider.ledger import add_record, replace_record
from services.sandbox_provider.paging import page_request, paged
from services.sandbox_provider.state import PUSHABLE, Company, Connection
from services.sandbox_provider.validation import validate_push
from services.core.logging import info_on

log = structlog.get_logger(__name__)
_info_on = info_on(__name__)  # INFO lines' fields gathered only when written
routes = web.RouteTableDef()
IDEMPOTENCY_TTL_S = 90 * 60
PUSH_ROUTE = "codat.push"
UPDATE_ROUTE = "codat.update_bill"


def _fingerprint(connection_id: str, data_type: str, body: dict) -> str:
    return hashlib.sha256(json_bytes([connection_id, data_type, body], sort_keys=True)).hexdigest()


def _replay(company: Company, key: str, fingerprint: str) -> dict | None:
    """The first answer for a key seen in the last 90 minutes with the same body; a 409 for a
    different body; None for a new (or expired) key."""
    seen = company.idempotency.get(key)
    if seen is None or time.monotonic() - seen[1] > IDEMPOTENCY_TTL_S:
        return None
    if seen[0] != fingerprint:
        raise CodatError(409, f"The Idempotency-Key {key!r} was already used with a different "
                              "request body; use a new key for a different request")
    return seen[2]


def _timeout(request: web.Request) -> int | None:
    raw = request.query.get("timeoutInMinutes")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"timeoutInMinutes must be an integer, got {raw!r}") from None


def _remember(company: Company, key: str, fingerprint: str, answer: dict) -> None:
    now, kept = time.monotonic(), company.idempotency
    while kept and now - next(iter(kept.values()))[1] > IDEMPOTENCY_TTL_S:  # oldest first: expire from the front
        del kept[next(iter(kept))]
    kept.pop(key, None)  # a key seen again moves to the end, keeping the order by time
    kept[key] = (fingerprint, now, answer)


def _new_operation(company: Company, connection: Connection, data_type: str,
                   timeout: int | None) -> dict:
    """A Pending PushOperation (no ``completedOnUtc`` until it completes: spec quirk)."""
    op = {"companyId": company.id, "pushOperationKey": new_id(),
          "dataConnectionKey": connection.id, "dataType": data_type,
          "requestedOnUtc": now_iso(), "status": "Pending", "statusCode": 202,
          "validation": {"errors": [], "warnings": []}, "changes": []}
    if timeout is not None:
        op["timeoutInMinutes"] = timeout
    company.pushes[op["pushOperationKey"]] = op
    return op


def _pending_copy(op: dict) -> dict:
    """A deep copy of a Pending operation as ``_new_operation`` makes it (its values are
    strings and numbers but for the empty validation and changes), for the answer to keep."""
    return {**op, "validation": {"errors": [], "warnings": []}, "changes": []}


@routes.post("/companies/{companyId}/connections/{connectionId}/push/{dataType}", name=PUSH_ROUTE)
async def push(request: web.Request) -> web.Response:
    return await _accept(request, request.match_info["dataType"], None)


@routes.put("/companies/{companyId}/connections/{connectionId}/push/bills/{billId}", name=UPDATE_ROUTE)
async def update_bill(request: web.Request) -> web.Response:
    """Codat's "Update bill" (Sync for Payables): the same asynchronous write, on a known bill."""
    return await _accept(request, "bills", request.match_info["billId"])


async def _accept(request: web.Request, data_type: str, record_id: str | None) -> web.Response:
    state = request.app[STATE]
    company = state.company(request.match_info["companyId"])
    connection = company.connection(request.match_info["connectionId"])
    if data_type not in PUSHABLE:
        raise CodatError(404, f"Pushing {data_type} is not supported; use one of "
                              f"{', '.join(PUSHABLE)}")
    if record_id is not None and record_id not in company.dataset(data_type):
        raise not_found(f"No {data_type[:-1]} with id {record_id!r} in this company")
    timeout = _timeout(request)
    body = await json_object(request)
    key = request.headers.get("Idempotency-Key")
    fingerprint = _fingerprint(connection.id, f"{data_type}/{record_id or ''}", body)
    if key and (answer := _replay(company, key, fingerprint)) is not None:
        log.info("sandbox.push_replayed", company_id=company.id, idempotency_key=key,
                 push_operation_key=answer["pushOperationKey"])
        return web.json_response(answer, dumps=json_text)
    if connection.status != "Linked":
        raise bad_request(f"The data connection {connection.id} is {connection.status}; "
                          "pushes need a Linked connection")
    op = _new_operation(company, connection, data_type, timeout)
    answer = {**_pending_copy(op), "data": body}
    if key:
        _remember(company, key, fingerprint, answer)
    if _info_on():  # below the level, not even its fields are gathered
        log.info("sandbox.push_accepted", company_id=company.id, data_type=data_type,
                 push_operation_key=op["pushOperationKey"], idempotency_key=key, updates=record_id)
    timeout_rate = state.faults_for(company.id).timeout_rate  # decided when requested
    times_out = bool(timeout_rate) and state.rng.random() < timeout_rate
    request.app[BACKGROUND].spawn(
        _complete(request.app, company, connection, op, body, times_out, record_id),
        name=f"push:{op['pushOperationKey']}")
    return web.json_response(answer, dumps=json_text)


def _outcome(company: Company, connection: Connection, op: dict, body: dict,
             times_out: bool, update_id: str | None = None) -> str | None:
    """Settles the operation; returns the new record's id on success."""
    if times_out:
        op.update(status="TimedOut", statusCode=504,
                  errorMessage="The push did not complete in time; its outcome is unknown")
        return None
    if connection.status != "Linked":
        op.update(status="Failed", statusCode=401,
                  errorMessage=f"The data connection is {connection.status}")
        return None
    errors = validate_push(op["dataType"], body, company.ledger, connection.integration.name, update_id)
    if errors:
        op.update(status="Failed", statusCode=400, validation={"errors": errors, "warnings": []},
                  errorMessage="; ".join(e["message"] for e in errors))
        return None
    fields = {k: v for k, v in body.items() if k != "id"}
    if update_id is not None:
        record = replace_record(company.dataset(op["dataType"]), update_id, fields)
    else:
        record = add_record(company.dataset(op["dataType"]), fields)
    op.update(status="Success", statusCode=200, changes=[
        {"type": "Modified" if update_id else "Created",
         "recordRef": {"id": record["id"], "dataType": op["dataType"]}}])
    return record["id"]


async def _complete(app: web.Application, company: Company, connection: Connection, op: dict,
                    body: dict, times_out: bool, update_id: str | None = None) -> None:
    await asyncio.sleep(app[STATE].timing.complete_after_s)
    if company.id not in app[STATE].companies:
        return
    record_id = _outcome(company, connection, op, body, times_out, update_id)
    op["completedOnUtc"] = now_iso()
    outcome = "successful" if op["status"] == "Success" else "unsuccessful"
    if _info_on():
        log.info("sandbox.push_completed", company_id=company.id, data_type=op["dataType"],
                 push_operation_key=op["pushOperationKey"], status=op["status"], record_id=record_id)
    _, delivery = app[WEBHOOKS].prepare(f"{op['dataType']}.write.{outcome}", {
        "id": op["pushOperationKey"], "type": "Update" if update_id else "Create",
        "referenceCompany": company.reference(),
        "connectionId": connection.id, "requestedOnDate": op["requestedOnUtc"],
        "completedOnDate": op["completedOnUtc"], "status": op["status"],
        "record": {"id": record_id} if record_id else None}, company.id)
    if delivery is not None:  # this task delivers it (a task of its own would cost one more)
        await delivery


@routes.get("/companies/{companyId}/push")
async def list_push_operations(request: web.Request) -> web.Response:
    company = request.app[STATE].company(request.match_info["companyId"])
    return web.json_response(paged(company.pushes.values(), page_request(request.query),
                                   request.path))


@routes.get("/companies/{companyId}/push/{pushOperationKey}")
async def get_push_operation(request: web.Request) -> web.Response:
    company = request.app[STATE].company(request.match_info["companyId"])
    op = company.pushes.get(request.match_info["pushOperationKey"])
    if op is None:
        raise not_found("push operation", request.match_info["pushOperationKey"])
    return web.json_response(op)
