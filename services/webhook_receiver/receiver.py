"""POST /webhooks/{provider}: verify on the raw body, store once, queue, answer 2xx fast.

The path of an accepted delivery does nothing per request that is below the log level: its
log line's fields are given to the line itself (no context bound per request), only when INFO
is on; its answers are made once."""
from __future__ import annotations

import json

import asyncpg
import structlog
from aiohttp import web

from services.app_keys import DEPS
from services.core import metrics
from services.core.errors import WebhookMalformed, WebhookVerificationFailed
from services.webhook_receiver.intake import Intake
from services.webhook_receiver.inbox_writes import Delivery, DeliveryStore
from services.core.logging import info_on

log = structlog.get_logger(__name__)
_info_on = info_on(__name__)  # INFO lines' fields gathered only when written
INTAKE = web.AppKey("intake", Intake)
STORE = web.AppKey("store", DeliveryStore)
_ANSWERS = {outcome: json.dumps({"status": outcome}).encode() for outcome in ("accepted", "ignored", "duplicate")}


def _json(code: int, **body) -> web.Response:
    return web.json_response(body, status=code)


def _count(provider: str, outcome: str) -> None:
    metrics.child(metrics.WEBHOOKS, provider, outcome).inc()


async def receive(request: web.Request) -> web.Response:
    with request.app[INTAKE].receiving_one():
        return await _receive(request)


async def _receive(request: web.Request) -> web.Response:
    res = request.app[DEPS]
    provider = request.match_info["provider"]
    if provider != res.settings.provider:
        return _json(404, error={"message": f"No webhook endpoint for provider {provider!r}"})
    raw = await request.read()
    try:
        event = res.adapter.verify_webhook(raw, request.headers, res.settings.provider_webhook_secret)
    except WebhookMalformed as exc:
        _count(provider, "malformed")
        log.warning("webhook.malformed", reason=str(exc))
        return _json(400, error={"message": f"Webhook body is not a {provider} event: {exc}"})
    except WebhookVerificationFailed as exc:
        _count(provider, "refused")
        log.warning("webhook.refused", reason=str(exc))
        return _json(401, error={"message": f"Webhook verification failed: {exc}"})
    # the delivery's identity is the signed message id: the provider's retries keep it
    webhook_id = request.headers.get("webhook-id") or request.headers.get("svix-id") or event.id
    kind = res.adapter.classify_webhook(event.event_type)
    if kind == "unknown":
        _count(provider, "unknown")
        log.warning("webhook.unknown_type", **_context(webhook_id, event))
        return _json(400, error={"message": f"Unknown webhook event type {event.event_type!r}"})
    try:
        stored = await request.app[STORE].store(
            Delivery(provider, webhook_id, event.event_type, raw.decode(), kind == "handled"))
    except (UnicodeDecodeError, asyncpg.DataError) as exc:  # signed, but no text or JSON we can keep
        _count(provider, "malformed")
        log.warning("webhook.malformed", reason=str(exc), **_context(webhook_id, event))
        return _json(400, error={"message": f"Webhook body cannot be stored: {exc}"})
    outcome = "duplicate" if not stored else ("accepted" if kind == "handled" else "ignored")
    _count(provider, outcome)
    if _info_on():
        log.info("webhook.received", outcome=outcome, **_context(webhook_id, event))
    return web.Response(body=_ANSWERS[outcome], content_type="application/json")


def _context(webhook_id: str, event) -> dict:
    return {"webhook_id": webhook_id, "event_id": event.id, "event_type": event.event_type,
            "company_id": event.company_id}
