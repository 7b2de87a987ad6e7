"""What every HTTP service has: /healthz, /readyz, /metrics, request context and metrics."""
from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from services.core import db, metrics
from services.core.broker import BrokerUnavailable
from services.core.logging import info_on

log = structlog.get_logger(__name__)
_info_on = info_on(__name__)  # INFO lines' fields gathered only when written
ReadyCheck = Callable[[], Awaitable[dict]]  # part → "ok" | what is wrong (nested for consumers)
# a /metrics body and its content type other than this process's registry alone (with a child's series)
MetricsSource = Callable[[], Awaitable[tuple[bytes, str]]]
SERVICE = web.AppKey("service", str)
READY_CHECK = web.AppKey("ready_check", ReadyCheck)
MAX_BODY = web.AppKey("max_body", int)
METRICS = web.AppKey("metrics", MetricsSource)


def _route_name(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def new_request_id() -> str:
    """A random (version 4) UUID in hex, as ``uuid.uuid4().hex`` writes it, without the UUID object."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


_QUIET_ROUTES = frozenset(("/metrics", "/healthz", "/readyz"))


def _record(service: str, method: str, route: str, status: int, elapsed: float) -> None:
    metrics.child(metrics.HTTP_REQUESTS, service, method, route, str(status)).inc()
    metrics.child(metrics.HTTP_SECONDS, service, route).observe(elapsed)


@web.middleware
async def observe(request: web.Request, handler):
    """Binds a request id to every log line of the request and records its metrics (the context
    bound and reset by its tokens, the metric children kept, the request's line built only when
    INFO is on)."""
    request_id = request.headers.get("X-Request-Id") or new_request_id()
    started = time.perf_counter()
    route = _route_name(request)
    status = 500
    tokens = structlog.contextvars.bind_contextvars(request_id=request_id, method=request.method,
                                                    path=request.path)
    try:
        response = await handler(request)
        status = response.status
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        elapsed = time.perf_counter() - started
        _record(request.app[SERVICE], request.method, route, status, elapsed)
        if route not in _QUIET_ROUTES and _info_on():
            log.info("http.request", status=status, route=route, ms=round(elapsed * 1000, 1))
        structlog.contextvars.reset_contextvars(**tokens)
    response.headers["X-Request-Id"] = request_id
    return response


@web.middleware
async def unavailable(request: web.Request, handler):
    """The database or the broker is away: 503 with Retry-After (the caller retries), not a 500."""
    try:
        return await handler(request)
    except (*db.UNAVAILABLE, BrokerUnavailable) as exc:
        return unavailable_response(exc)


def unavailable_response(exc: BaseException) -> web.Response:
    what = "broker" if isinstance(exc, BrokerUnavailable) else "database"
    log.warning("http.dependency_unavailable", dependency=what, error=f"{type(exc).__name__}: {exc}"[:300])
    return web.json_response({"error": {"message": f"The {what} is unavailable; try again shortly"}},
                             status=503, headers={"Retry-After": "5"})


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _states(checks: dict) -> dict:
    return {part: _states(value) if isinstance(value, dict) else
            {True: "ok", False: "down"}.get(value, value) if isinstance(value, bool) else value
            for part, value in checks.items()}


def _fine(value: object) -> bool:
    if isinstance(value, dict):
        return all(_fine(v) for v in value.values())
    return value in ("ok", "subscribed")


async def readyz(request: web.Request) -> web.Response:
    """200 while the process can do its work, else 503; the body names each part's state:
    ``{"database": "ok", "broker": "down", "consumers": {"ledgersync.webhooks": "not subscribed"}}``
    (contracts ``ReadinessResponse``); a check given as a bool reads "ok" / "down"."""
    body = _states(await request.app[READY_CHECK]())
    return web.json_response(body, status=200 if _fine(body) else 503)


async def metrics_view(request: web.Request) -> web.Response:
    source = request.app.get(METRICS)
    body, content_type = metrics.render() if source is None else await source()
    return web.Response(body=body, headers={"Content-Type": content_type})


def base_app(service: str, ready_check: ReadyCheck, *, max_body: int = 1_048_576,
             middlewares: tuple = (), metrics_source: MetricsSource | None = None) -> web.Application:
    """``metrics_source``: what /metrics serves instead of this process's registry (the
    webhook-receiver's, with its processor child's series)."""
    app = web.Application(client_max_size=max_body, middlewares=[observe, unavailable, *middlewares])
    app[SERVICE] = service
    app[READY_CHECK] = ready_check
    app[MAX_BODY] = max_body
    if metrics_source is not None:
        app[METRICS] = metrics_source
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    return app
