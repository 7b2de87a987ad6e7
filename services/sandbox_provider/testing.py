"""Run a sandbox in-process with a webhook sink beside it: for tests of any part of ledgersync.

    async with run_sandbox() as sandbox:
        async with sandbox.client() as http:          # Basic auth already set
            company = await (await http.post("/companies", json={"name": "Acme"})).json()
        event = await sandbox.sink.wait_for("connection.connected")
"""
from __future__ import annotations

import asyncio
import base64
import hmac
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.core.settings import Settings
from services.sandbox_provider.app import create_app
from services.sandbox_provider.keys import BACKGROUND, STATE
from services.sandbox_provider.railz.state import RailzTiming
from services.sandbox_provider.railz.webhooks import signature
from services.sandbox_provider.state import SandboxState, Timing

FAST = Timing(complete_after_s=0.05, timeout_hold_s=2.0, webhook_backoff_s=(0.05, 0.1, 0.2),
              webhook_timeout_s=2.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes
    event: dict


@dataclass
class WebhookSink:
    """Receives the sandbox's webhooks, verifies their signatures, keeps them in order."""
    secret: str
    url: str = ""
    status: int = 200                      # what the sink answers; set 500 to force retries
    received: list[Received] = field(default_factory=list)
    refused: list[bytes] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def verify(self, raw: bytes, headers: dict[str, str]) -> dict:
        return Webhook(self.secret).verify(raw, headers)

    def event_type(self, event: dict) -> str:
        return event["eventType"]

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            event = self.verify(raw, dict(request.headers))
        except WebhookVerificationError:  # recorded and refused, never raised
            self.refused.append(raw)
            return web.json_response({"error": "bad signature"}, status=401)
        if self.status < 300:
            self.received.append(Received(dict(request.headers), raw, event))
            self._arrived.set()
        return web.json_response({}, status=self.status)

    def events(self, event_type: str | None = None) -> list[dict]:
        return [r.event for r in self.received if event_type in (None, self.event_type(r.event))]

    async def wait_for(self, event_type: str, where: Callable[[dict], bool] = lambda e: True,
                       timeout: float = 5.0, count: int = 1) -> dict:
        """The ``count``-th event of that type matching ``where`` (waits for it)."""
        async def arrived() -> dict:
            while True:
                found = [e for e in self.events(event_type) if where(e)]
                if len(found) >= count:
                    return found[count - 1]
                self._arrived.clear()
                await self._arrived.wait()
        return await asyncio.wait_for(arrived(), timeout)


class RailzSink(WebhookSink):
    """The same for Railz's webhooks (``Railz-Signature``); an event is the delivery's body."""

    def verify(self, raw: bytes, headers: dict[str, str]) -> dict:
        parts = dict(p.split("=", 1) for p in headers.get("Railz-Signature", "").split(",") if "=" in p)
        if not hmac.compare_digest(parts.get("v", ""), signature(self.secret, parts.get("t", ""), raw)):
            raise WebhookVerificationError("Railz-Signature does not match")
        return json.loads(raw)

    def event_type(self, event: dict) -> str:
        return event["data"]["event"]


@dataclass
class RunningSandbox:
    url: str
    settings: Settings
    app: web.Application
    sink: WebhookSink
    railz_sink: RailzSink

    @property
    def state(self) -> SandboxState:
        return self.app[STATE]

    @property
    def auth_header(self) -> dict[str, str]:
        token = base64.b64encode(self.settings.provider_api_key.encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def client(self, authenticated: bool = True) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(self.url, headers=self.auth_header if authenticated else None)

    async def settle(self) -> None:
        """Wait until every pending push, refresh and webhook delivery has finished."""
        await self.app[BACKGROUND].idle()


async def _start(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@asynccontextmanager
async def run_sandbox(*, timing: Timing = FAST, seed: int = 0, railz_timing: RailzTiming | None = None,
                      **settings: object) -> AsyncIterator[RunningSandbox]:
    """A sandbox on a free port whose webhooks go to a sink on another free port."""
    sandbox_port, sink_port = free_port(), free_port()
    config = Settings(sandbox_port=sandbox_port,
                      sandbox_webhook_url=f"http://127.0.0.1:{sink_port}/webhooks/codat",
                      sandbox_railz_webhook_url=f"http://127.0.0.1:{sink_port}/webhooks/railz", **settings)
    sink = WebhookSink(config.webhook_secrets[0], url=config.webhook_target_url)
    railz_sink = RailzSink(config.webhook_secrets[0], url=config.railz_webhook_target_url)
    sink_app = web.Application()
    sink_app.router.add_post("/webhooks/codat", sink.handle)
    sink_app.router.add_post("/webhooks/railz", railz_sink.handle)
    sink_runner = await _start(sink_app, sink_port)
    app = create_app(config, timing=timing, seed=seed, railz_timing=railz_timing)
    runner = await _start(app, sandbox_port)
    try:
        yield RunningSandbox(config.sandbox_url, config, app, sink, railz_sink)
    finally:
        await runner.cleanup()
        await sink_runner.cleanup()
