"""What an admin can do: each action calls the service code the API and CLI use, is logged
with the operator's name, and its outcome is shown on the page it came from."""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from services.connections import service as connections
from services.console.queue_states import QUEUE_NAMES
from services.console.context import operator, render, res
from services.console.web_auth import message
from services.core.errors import LedgersyncError, NotFound
from services.partner_webhooks import deliveries
from services.push import transitions
from services.tools import dlq

log = structlog.get_logger(__name__)


async def _act(request: web.Request, action: str, target: str, back: str,
               run: Callable[[], Awaitable[str]]) -> web.Response:
    who = operator(request)
    if not who.is_admin:
        log.warning("console.action_refused", operator=who.name, action=action, target=target)
        return message(request, 403, "Not allowed", "Viewers can read; only admins can act.")
    try:
        outcome, ok = await run(), True
    except LedgersyncError as exc:
        outcome, ok = exc.message or type(exc).__name__, False
    except Exception as exc:  # noqa: BLE001 - broker or provider trouble: shown, logged, never a 500
        log.exception("console.action_failed", action=action, target=target)
        outcome, ok = f"failed: {exc}", False
    action_id = await res(request).pool.fetchval(
        "INSERT INTO operator_actions (operator, action, target, outcome, ok) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id", who.name, action, target, outcome, ok)
    log.info("console.action", operator=who.name, action=action, target=target, ok=ok, outcome=outcome)
    raise web.HTTPSeeOther(f"{back}{'&' if '?' in back else '?'}action={action_id}")


def _id(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound() from None


async def push(request: web.Request) -> web.Response:
    record_id = _id(request, "record_id")

    async def run() -> str:
        async with res(request).pool.acquire() as conn, conn.transaction():
            row = await transitions.push_again(conn, record_id)
        return f"record is {row['sync_status']} (push {row['push_generation']})"
    return await _act(request, "push_record", str(record_id), f"/console/records/{record_id}", run)


async def _connection_action(request: web.Request, action: str) -> web.Response:
    connection_id, r = _id(request, "connection_id"), res(request)
    entity_id = await r.pool.fetchval("SELECT entity_id FROM accounting_connections WHERE id = $1", connection_id)

    async def run() -> str:
        if entity_id is None:
            raise NotFound("Accounting connection not found")
        if action == "disconnect":
            row = await connections.disconnect(r.pool, r.adapter, entity_id, connection_id)
            return f"connection is {row['status']}"
        run_row, started = await connections.request_sync(r.pool, entity_id, connection_id, "console")
        return f"sync run {run_row['id']} {'started' if started else 'already running'}"
    back = f"/console/entities/{entity_id}" if entity_id else "/console/entities"
    return await _act(request, f"{action}_connection", str(connection_id), back, run)


async def sync(request: web.Request) -> web.Response:
    return await _connection_action(request, "sync")


async def disconnect(request: web.Request) -> web.Response:
    return await _connection_action(request, "disconnect")


async def confirm_disconnect(request: web.Request) -> web.Response:
    """Disconnecting cannot be undone from here (the user consents again): ask first, no JavaScript."""
    row = await res(request).pool.fetchrow("SELECT c.id, c.entity_id, c.status, c.platform, e.name FROM "
                                           "accounting_connections c JOIN entities e ON e.id = c.entity_id "
                                           "WHERE c.id = $1", _id(request, "connection_id"))
    if row is None:
        return message(request, 404, "Not found", "No accounting connection has this id.")
    return render(request, "disconnect.html", {"connection": row})


async def replay(request: web.Request) -> web.Response:
    form = await request.post()
    queue, key = str(form.get("queue", "")), str(form.get("key", "")) or None
    if queue not in QUEUE_NAMES:
        return message(request, 400, "Unknown queue", "Choose one of the work queues.")

    async def run() -> str:
        replayed = await dlq.replay_dead(res(request).settings, queue, key=key)
        if key and not replayed:
            raise NotFound(f"message {key} is no longer in {queue}'s dead letters")
        return f"{len(replayed)} message(s) moved back to {queue}"
    return await _act(request, "replay_dead_letters", f"{queue}:{key or 'all'}",
                      f"/console/dead-letters?queue={queue}", run)


async def replay_partner_webhooks(request: web.Request) -> web.Response:
    """Failed partner webhook deliveries are due again (as `ledgersync webhooks replay`)."""
    r = res(request)

    async def run() -> str:
        rows = await deliveries.replay(r.pool, r.settings.partner_webhook_retry_for, None, None)
        return f"{len(rows)} failed deliveries due again"
    return await _act(request, "replay_partner_webhooks", "all failed", "/console/", run)


def routes() -> list[web.RouteDef]:
    return [web.post("/records/{record_id}/push", push), web.post("/connections/{connection_id}/sync", sync),
            web.get("/connections/{connection_id}/disconnect", confirm_disconnect),
            web.post("/connections/{connection_id}/disconnect", disconnect),
            web.post("/dead-letters/replay", replay),
            web.post("/partner-webhooks/replay", replay_partner_webhooks)]
