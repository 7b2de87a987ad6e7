"""/v1/events (SDK `events`) and /v1/webhook_deliveries (SDK `webhook_deliveries`), entity-scoped:
what was sent, so a partner can fetch what it missed and see every attempt."""
from __future__ import annotations

from aiohttp import web

from contracts.api.partner_webhooks import (
    EventListQuery,
    EventPaginationResource,
    EventResource,
    WebhookDeliveryListQuery,
    WebhookDeliveryPaginationResource,
)
from services.api.context import dump, entity_id, path_uuid, res
from services.core.errors import NotFound
from services.api.webhook_listing import created_range, list_page

_ATTEMPTS = ("(SELECT coalesce(json_agg(json_build_object('attempt', a.attempt, 'started_at', a.started_at, "
             "'duration_ms', a.duration_ms, 'url', a.url, 'status_code', a.status_code, 'error', a.error) "
             "ORDER BY a.attempt), '[]'::json) FROM partner_webhook_attempts a WHERE a.delivery_id = d.id)")
DELIVERIES = f"SELECT d.*, {_ATTEMPTS} AS attempts FROM partner_webhook_deliveries d"


def event_to_api(row) -> dict:
    out = {k: row[k] for k in ("action", "description", "object", "object_type", "created_at")}
    out.update(id=str(row["id"]), entity_id=str(row["entity_id"]), api_version=None,
               object_id=str(row["object_id"]) if row["object_id"] else None)
    return out


def delivery_to_api(row) -> dict:
    done = {"pending": None, "delivered": True, "failed": False}[row["status"]]
    out = {k: row[k] for k in ("requests_made_count", "response", "response_status_code", "url",
                               "status", "object_type", "created_at", "updated_at", "attempts")}
    out.update(id=str(row["id"]), event_id=str(row["event_id"]), was_successful=done,
               webhook_subscription_id=str(row["subscription_id"]), event_action=row["action"],
               next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None)
    return out


def _object_type(query, args: list) -> list[str]:
    if not query.object_type:
        return []
    args.append(query.object_type)
    return [f"object_type = ${len(args)}"]


async def list_events(request: web.Request) -> web.Response:
    entity = await entity_id(request)

    def filters(query: EventListQuery, args: list) -> list[str]:
        args.append(entity)
        return ["entity_id = $1", *_object_type(query, args), *created_range(query, "", args)]

    page = await list_page(request, kind="events", scope=str(entity), model=EventListQuery,
                           select="SELECT * FROM (SELECT *, created_at AS updated_at FROM partner_events) e",
                           filters=filters, to_api=event_to_api)
    return dump(EventPaginationResource.model_validate(page))


async def get_event(request: web.Request) -> web.Response:
    row = await res(request).pool.fetchrow("SELECT * FROM partner_events WHERE id = $1 AND entity_id = $2",
                                           path_uuid(request, "event_id"), await entity_id(request))
    if row is None:
        raise NotFound("Event not found")
    return dump(EventResource.model_validate(event_to_api(row)))


async def list_deliveries(request: web.Request) -> web.Response:
    entity = await entity_id(request)

    def filters(query: WebhookDeliveryListQuery, args: list) -> list[str]:
        args.append(entity)
        where = ["entity_id = $1", *_object_type(query, args)]
        if query.event_id:
            args.append(query.event_id)
            where.append(f"event_id = ${len(args)}")
        if query.event_action:
            args.append(query.event_action)
            where.append(f"(action = ${len(args)} OR split_part(action, '.', 2) = ${len(args)})")
        return where + created_range(query, "", args)

    page = await list_page(request, kind="webhook_deliveries", scope=str(entity),
                           model=WebhookDeliveryListQuery, select=DELIVERIES, filters=filters,
                           to_api=delivery_to_api)
    return dump(WebhookDeliveryPaginationResource.model_validate(page))


def routes() -> list[web.RouteDef]:
    return [web.get("/v1/events", list_events), web.get("/v1/events/{event_id}", get_event),
            web.get("/v1/webhook_deliveries", list_deliveries)]
