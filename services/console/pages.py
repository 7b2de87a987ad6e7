"""The console's pages: overview, partners, entities, an entity, a record, dead letters."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiohttp import web
from markupsafe import Markup

from services.console import chart, queries, queue_states, story
from services.console.context import operator, render, res
from services.console.web_auth import message
from services.core.http import READY_CHECK
from services.synced_records import repo as records_repo
from services.tools import dlq

DEAD_LETTER_BODY_CHARS = 20_000


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def _outcome(request: web.Request, conn):
    """The action this page was reached from (after a form), when it was this operator's."""
    raw = request.query.get("action", "")
    return await queries.action(conn, int(raw), operator(request).name) if raw.isdigit() else None


def _page(request: web.Request, template: str, **context) -> web.Response:
    return render(request, template, context)


def _flat(checks: dict, prefix: str = ""):
    """Readiness checks as (what, state) rows; nested ones (consumers by queue) flattened."""
    for key, value in checks.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key} ")
        else:
            yield f"{prefix}{key}", {True: "ok", False: "down"}.get(value, str(value))


async def _readiness(request: web.Request) -> list[tuple[str, str]]:
    """This process's own readiness, as its /readyz reports it (the api's check, found upwards)."""
    try:
        return list(_flat(await request.config_dict[READY_CHECK]()))
    except Exception as exc:  # noqa: BLE001 - shown as it is, never a 500
        return [("readiness", f"unknown: {exc}")]


async def overview(request: web.Request) -> web.Response:
    async with res(request).pool.acquire() as conn:
        outcome, data = await _outcome(request, conn), await queries.overview(conn)
        pushes, hooks = await queries.pushes_by_hour(conn), await queries.partner_webhooks(conn)
    svg = Markup(chart.pushes_svg(pushes, datetime.now(UTC)))  # noqa: S704 - built from escaped parts
    return _page(request, "overview.html", **data, chart=svg, readiness=await _readiness(request), hooks=hooks,
                 outcome=outcome, queues=await queue_states.queue_states(res(request).settings),
                 object_types=queries.OBJECT_TYPES, statuses=queries.STATUSES)


async def partners(request: web.Request) -> web.Response:
    q = request.query.get("q", "").strip()
    async with res(request).pool.acquire() as conn:
        rows = await queries.partners(conn, q)
    return _page(request, "partners.html", partners=rows, q=q)


async def entities(request: web.Request) -> web.Response:
    q, partner = request.query.get("q", "").strip(), _uuid(request.query.get("partner"))
    async with res(request).pool.acquire() as conn:
        rows = await queries.entities(conn, q, partner)
    return _page(request, "entities.html", entities=rows, q=q, partner=partner)


async def entity(request: web.Request) -> web.Response:
    entity_id = _uuid(request.match_info["entity_id"])
    kind, status = request.query.get("type", ""), request.query.get("status", "")
    async with res(request).pool.acquire() as conn:
        row = await queries.entity(conn, entity_id) if entity_id else None
        if row is None:
            return message(request, 404, "Not found", "No entity has this id.")
        return _page(request, "entity.html", entity=row, connections=await queries.connections(conn, entity_id),
                     runs=await queries.sync_runs(conn, entity_id), outcome=await _outcome(request, conn),
                     records=await queries.records(conn, entity_id, kind, status), type=kind, status=status,
                     object_types=queries.OBJECT_TYPES, statuses=queries.STATUSES)


async def record(request: web.Request) -> web.Response:
    record_id = _uuid(request.match_info["record_id"])
    async with res(request).pool.acquire() as conn:
        row = await records_repo.get(conn, record_id) if record_id else None
        if row is None:
            return message(request, 404, "Not found", "No synced record has this id.")
        return _page(request, "record.html", record=row, api=records_repo.to_api(row),
                     entity=await queries.entity(conn, row["entity_id"]), errors=story.record_errors(row),
                     story=await story.story(conn, row), outcome=await _outcome(request, conn))


async def dead_letters(request: web.Request) -> web.Response:
    queue = request.query.get("queue", queue_states.QUEUE_NAMES[0])
    if queue not in queue_states.QUEUE_NAMES:
        return message(request, 404, "Not found", "No such queue.")
    messages = await dlq.list_dead(res(request).settings, queue, 50, body_chars=DEAD_LETTER_BODY_CHARS)
    async with res(request).pool.acquire() as conn:
        outcome = await _outcome(request, conn)
    return _page(request, "dead_letters.html", queue=queue, messages=messages, outcome=outcome,
                 queues=await queue_states.queue_states(res(request).settings))


async def root(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/console/")


def routes() -> list[web.RouteDef]:
    return [web.get("", root), web.get("/", overview), web.get("/partners", partners),
            web.get("/entities", entities), web.get("/entities/{entity_id}", entity),
            web.get("/records/{record_id}", record), web.get("/dead-letters", dead_letters)]
