"""The app keys of the sandbox's Railz surface."""
from __future__ import annotations

from aiohttp import web

from services.sandbox_provider.railz.state import RailzState
from services.sandbox_provider.railz.webhooks import RailzWebhookDeliverer

RAILZ = web.AppKey("railz_state", RailzState)
RAILZ_WEBHOOKS = web.AppKey("railz_webhooks", RailzWebhookDeliverer)
