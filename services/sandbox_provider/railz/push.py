"""Railz surface: pushes (``POST /v2/accounting/…``, ``PUT …/bills/{id}``). Railz takes no
idempotency key: every accepted request is a new push request, completed asynchronously,
validated by the sandbox's one validation over the shared ledger, announced by a ``push``
webhook and readable through ``pushStatus``. The timeout fault holds the answer back after the
push was accepted, so the write happens but the client never hears of it."""
from __future__ import annotations

import asyncio
import uuid

import structlog
from aiohttp import web

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.keys import BACKGROUND, STATE
from services.sandbox_provider.ledger import add_record, replace_record
from services.sandbox_provider.railz.errors import RailzError, bad_request, json_object, required_text
from services.sandbox_provider.railz.keys import RAILZ, RAILZ_WEBHOOKS
from services.sandbox_provider.railz.lifecycle import old_ids
from services.sandbox_provider.railz.state import service_of
from services.sandbox_provider.railz.writes import PUSH_PATHS, REQUIRED, railz_words, to_ledger
from services.sandbox_provider.state import Company, Connection
from services.sandbox_provider.validation import validate_push

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()
PUSH_ROUTES = tuple(f"railz.push.{path.replace('/', '.')}" for path in PUSH_PATHS) + ("railz.update.bills",)


async def _accept(request: web.Request, path: str, record_id: str | None) -> web.Response:
    railz, state = request.app[RAILZ], request.app[STATE]
    body = await json_object(request)
    company, connection = railz.connection(required_text(body, "connectionUuid"))
    data = body.get("data")
    if not isinstance(data, dict):
        raise bad_request("data must be an object")
    missing = [f"data.{field} should not be empty" for field in REQUIRED.get(path, ()) if not data.get(field)]
    if missing:
        raise bad_request(*missing)
    if connection.status != "Linked":
        raise bad_request(f"Connection {connection.id} is not active; pushes need an active connection")
    dataset, data_type = PUSH_PATHS[path]
    if record_id is not None and record_id not in company.dataset(dataset):
        raise RailzError(400, f"No {data_type} record with id {record_id} in this connection")
    requested = now_iso()
    push = {"pushCommunicationId": uuid.uuid4().hex[:24], "serviceName": service_of(connection.integration),
            "dataType": data_type, "requestedOn": requested, "completedOn": requested, "status": "pending",
            "responseCode": 202, "sourceObjectIds": []}
    railz.pushes.setdefault(connection.id, {})[push["pushCommunicationId"]] = push
    timeout_rate = state.faults_for(company.id).timeout_rate
    times_out = bool(timeout_rate) and state.rng.random() < timeout_rate
    log.info("sandbox.railz_push_accepted", company_id=company.id, data_type=data_type, updates=record_id,
             push_communication_id=push["pushCommunicationId"], answer_lost=times_out)
    request.app[BACKGROUND].spawn(_complete(request.app, company, connection, path, push, data, record_id),
                                  name=f"railz-push:{push['pushCommunicationId']}")
    if times_out:  # accepted and done, but the answer arrives after the client gave up
        await asyncio.sleep(state.timing.timeout_hold_s)
    return web.json_response({"connectionUuid": connection.id, "businessName": company.name,
                              "serviceName": push["serviceName"], "pushCommunicationId": push["pushCommunicationId"],
                              "requestedOn": requested, "status": "pending", "data": data})


def _settle(company: Company, connection: Connection, path: str, push: dict, data: dict,
            record_id: str | None) -> None:
    dataset, _ = PUSH_PATHS[path]
    if connection.status != "Linked":
        push.update(status="failed", responseCode=401, validation={"errors": [
            {"field": "connectionUuid", "message": f"The connection to {connection.integration.name} is no longer "
                                                   "active"}]})
        return
    record = to_ledger(path, data, company.dataset("taxRates"))
    errors = validate_push(dataset, record, company.ledger, connection.integration.name, record_id)
    if errors:
        push.update(status="failed", responseCode=400, validation={"errors": [
            {"field": railz_words(e.get("itemId") or ""), "message": railz_words(e["message"])} for e in errors]})
        return
    if record_id is not None:
        saved = replace_record(company.dataset(dataset), record_id, record)
    else:
        saved = add_record(company.dataset(dataset), record)
    push.update(status="success", responseCode=200 if record_id else 201, sourceObjectIds=[saved["id"]])


async def _complete(app: web.Application, company: Company, connection: Connection, path: str, push: dict,
                    data: dict, record_id: str | None) -> None:
    await asyncio.sleep(app[STATE].timing.complete_after_s)
    if company.id not in app[STATE].companies:
        return
    _settle(company, connection, path, push, data, record_id)
    push["completedOn"] = now_iso()
    log.info("sandbox.railz_push_completed", company_id=company.id, data_type=push["dataType"],
             push_communication_id=push["pushCommunicationId"], status=push["status"],
             source_object_ids=push["sourceObjectIds"])
    app[RAILZ_WEBHOOKS].send("push", {**old_ids(company, connection),
                                      **{k: v for k, v in push.items() if k != "serviceName"}}, company.id)


def _pusher(path: str):
    async def handler(request: web.Request) -> web.Response:
        return await _accept(request, path, None)
    return handler


for _path in PUSH_PATHS:
    routes.post(f"/v2/accounting/{_path}", name=f"railz.push.{_path.replace('/', '.')}")(_pusher(_path))


@routes.put("/v2/accounting/bills/{id}", name="railz.update.bills")
async def update_bill(request: web.Request) -> web.Response:
    return await _accept(request, "bills", request.match_info["id"])
