"""The app keys of the sandbox (typed ``web.AppKey``s, one place)."""
from __future__ import annotations

from aiohttp import web

from services.sandbox_provider.background import Background
from services.sandbox_provider.state import SandboxState
from services.sandbox_provider.webhooks import WebhookDeliverer

STATE = web.AppKey("sandbox_state", SandboxState)
BACKGROUND = web.AppKey("sandbox_background", Background)
WEBHOOKS = web.AppKey("sandbox_webhooks", WebhookDeliverer)
