"""The webhook-receiver's HTTP app: create_app(resources)."""
from __future__ import annotations

from aiohttp import web

from services.core.http import base_app
from services.core.resources import Resources
from services.webhook_receiver.receiver import RESOURCES, receive


def create_app(resources: Resources) -> web.Application:
    app = base_app("webhook-receiver", resources.ready, max_body=resources.settings.max_body_bytes)
    app[RESOURCES] = resources
    app.router.add_post("/webhooks/{provider}", receive)
    return app
