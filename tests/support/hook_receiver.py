"""A partner's webhook listener: a real aiohttp server (in a thread of its own) that verifies
`Monite-Signature` as Monite documents it, with its own HMAC code (not ledgersync's).

Each path `/<name>` is one endpoint; its mode says how it answers: `ok` (200), `fail` (503),
`hang` (never answers until released), `redirect` (302 to `/<name>-moved`)."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.infra import free_port


@dataclass
class Hit:
    endpoint: str
    body: dict
    raw: bytes
    signature: str
    verified: bool
    status: int


def verify(secret: str, header: str, raw: bytes, tolerance_s: int = 300) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or abs(time.time() - int(parts["t"])) > tolerance_s:
        return False
    mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    modes: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    open_requests: dict[str, int] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def acked(self, name: str) -> list[Hit]:
        return [h for h in self.hits if h.endpoint == name and h.status == 200]

    def attempts(self, name: str) -> list[Hit]:
        return [h for h in self.hits if h.endpoint == name]

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.read()
        header = request.headers.get("Monite-Signature", "")
        verified = verify(self.secrets.get(name, ""), header, raw)
        mode = self.modes.get(name, "ok")
        if mode == "hang":
            self.open_requests[name] = self.open_requests.get(name, 0) + 1
            try:
                await self._release.wait()
            finally:
                self.open_requests[name] -= 1
        status = {"fail": 503, "redirect": 302}.get(mode, 200 if verified else 401)
        self.hits.append(Hit(name, json.loads(raw), raw, header, verified, status))
        if status == 302:
            raise web.HTTPFound(f"/{name}-moved")
        return web.json_response({"received": verified}, status=status)

    def start(self) -> "Receiver":
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._release = asyncio.Event()
            app = web.Application()
            app.router.add_post("/{name}", self._handle)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            try:
                self._loop.run_forever()
            finally:
                self._loop.close()  # stopped by stop(): its sockets are closed, not left to the GC

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def release_hung(self) -> None:
        self._loop.call_soon_threadsafe(self._release.set)

    def stop(self) -> None:
        self.release_hung()
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
