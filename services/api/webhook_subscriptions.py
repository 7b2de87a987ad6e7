"""/v1/webhook_subscriptions (SDK `webhook_subscriptions`): partner-scoped; an entity header is
accepted and ignored, and another partner's subscription is a 404."""
from __future__ import annotations

import uuid

from aiohttp import web

from contracts.api.partner_webhooks import (
    WebhookSubscriptionCreate,
    WebhookSubscriptionListQuery,
    WebhookSubscriptionPaginationResource,
    WebhookSubscriptionResource,
    WebhookSubscriptionResourceWithSecret,
    WebhookSubscriptionUpdate,
    check_event_types,
)
from services.api.context import dump, parse_body, path_uuid, principal, res
from services.core.errors import NotFound, ValidationFailed
from services.partner_webhooks import subscriptions as store
from services.api.webhook_listing import created_range, list_page
from services.partner_webhooks.policy import url_problem

BASE = "/v1/webhook_subscriptions"


def _partner(request: web.Request) -> uuid.UUID:
    return uuid.UUID(principal(request).partner_id)


def _id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "webhook_subscription_id")


def _invalid(field: str, msg: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid {field}: {msg}", [{"loc": ["body", field], "msg": msg,
                                                         "type": "value_error"}])


def _check_url(request: web.Request, url: str | None) -> None:
    problem = url and url_problem(url, res(request).settings.partner_webhooks_allow_private)
    if problem:
        raise _invalid("url", f"The URL {problem}")


def _one(row, *, secret: bool = False, status: int = 200) -> web.Response:
    if row is None:
        raise NotFound("Webhook subscription not found")
    model = WebhookSubscriptionResourceWithSecret if secret else WebhookSubscriptionResource
    return dump(model.model_validate(store.to_api(row, with_secret=secret)), status)


async def list_subscriptions(request: web.Request) -> web.Response:
    partner = _partner(request)

    def filters(query: WebhookSubscriptionListQuery, args: list) -> list[str]:
        args.append(partner)
        where = ["partner_id = $1"]
        if query.object_type:
            args.append(query.object_type)
            where.append(f"object_type = ${len(args)}")
        return where + created_range(query, "", args)

    page = await list_page(request, kind="webhook_subscriptions", scope=str(partner),
                           model=WebhookSubscriptionListQuery, filters=filters, to_api=store.to_api,
                           select="SELECT * FROM partner_webhook_subscriptions")
    return dump(WebhookSubscriptionPaginationResource.model_validate(page))


async def create_subscription(request: web.Request) -> web.Response:
    body = await parse_body(request, WebhookSubscriptionCreate)
    _check_url(request, body.url)
    row = await store.create(res(request).pool, _partner(request), body.object_type, body.url,
                             body.event_types, request.headers.get("X-Monite-Version"))
    return _one(row, secret=True, status=201)


async def get_subscription(request: web.Request) -> web.Response:
    return _one(await store.get(res(request).pool, _partner(request), _id(request)))


async def update_subscription(request: web.Request) -> web.Response:
    body = await parse_body(request, WebhookSubscriptionUpdate, optional=True)
    changes = body.model_dump(exclude_none=True) if body else {}
    _check_url(request, changes.get("url"))
    partner, sid = _partner(request), _id(request)
    async with res(request).pool.acquire() as conn, conn.transaction():
        current = await store.get(conn, partner, sid, for_update=True)
        if current is None:
            raise NotFound("Webhook subscription not found")
        object_type = changes.get("object_type", current["object_type"])
        try:
            changes["event_types"] = check_event_types(
                object_type, changes.get("event_types", list(current["event_types"])))
        except ValueError as exc:
            raise _invalid("event_types", str(exc)) from exc
        return _one(await store.change(conn, partner, sid, **changes))


async def delete_subscription(request: web.Request) -> web.Response:
    if not await store.delete(res(request).pool, _partner(request), _id(request)):
        raise NotFound("Webhook subscription not found")
    return web.Response(status=204)


async def enable(request: web.Request) -> web.Response:
    return _one(await store.change(res(request).pool, _partner(request), _id(request), status="enabled"))


async def disable(request: web.Request) -> web.Response:
    return _one(await store.change(res(request).pool, _partner(request), _id(request), status="disabled"))


async def regenerate_secret(request: web.Request) -> web.Response:
    row = await store.change(res(request).pool, _partner(request), _id(request),
                             secret=store.new_secret())
    return _one(row, secret=True)


def routes() -> list[web.RouteDef]:
    one = BASE + "/{webhook_subscription_id}"
    return [web.get(BASE, list_subscriptions), web.post(BASE, create_subscription),
            web.get(one, get_subscription), web.patch(one, update_subscription),
            web.delete(one, delete_subscription),
            web.post(one + "/enable", enable), web.post(one + "/disable", disable),
            web.post(one + "/regenerate_secret", regenerate_secret)]
