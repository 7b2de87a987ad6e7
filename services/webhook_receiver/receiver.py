"""POST /webhooks/{provider}: verify on the raw body, store once, queue, answer 2xx fast."""
from __future__ import annotations

import structlog
from aiohttp import web

from services.app_keys import DEPS
from services.core import metrics
from services.core.errors import WebhookMalformed, WebhookVerificationFailed
from services.webhook_receiver.intake import Intake
from services.webhook_receiver.inbox_writes import Delivery, DeliveryStore

log = structlog.get_logger(__name__)
INTAKE = web.AppKey("intake", Intake)
STORE = web.AppKey("store", DeliveryStore)


def _json(code: int, **body) -> web.Response:
    return web.json_response(body, status=code)


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
        metrics.WEBHOOKS.labels(provider, "malformed").inc()
        log.warning("webhook.malformed", reason=str(exc))
        return _json(400, error={"message": f"Webhook body is not a {provider} event: {exc}"})
    except WebhookVerificationFailed as exc:
        metrics.WEBHOOKS.labels(provider, "refused").inc()
        log.warning("webhook.refused", reason=str(exc))
        return _json(401, error={"message": f"Webhook verification failed: {exc}"})
    # the delivery's identity is the signed message id: the provider's retries keep it
    webhook_id = request.headers.get("webhook-id") or request.headers.get("svix-id") or event.id
    with structlog.contextvars.bound_contextvars(webhook_id=webhook_id, event_id=event.id,
                                                 event_type=event.event_type, company_id=event.company_id):
        kind = res.adapter.classify_webhook(event.event_type)
        if kind == "unknown":
            metrics.WEBHOOKS.labels(provider, "unknown").inc()
            log.warning("webhook.unknown_type")
            return _json(400, error={"message": f"Unknown webhook event type {event.event_type!r}"})
        stored = await request.app[STORE].store(
            Delivery(provider, webhook_id, event.event_type, raw.decode(), kind == "handled"))
        outcome = "duplicate" if not stored else ("accepted" if kind == "handled" else "ignored")
        metrics.WEBHOOKS.labels(provider, outcome).inc()
        log.info("webhook.received", outcome=outcome)
        return _json(200, status=outcome)
