"""Middlewares: Codat-shaped errors, Basic auth on the Codat surface, injected faults."""
from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
from collections.abc import Callable

import structlog
from aiohttp import web

from services.sandbox_provider.errors import CodatError
from services.sandbox_provider.keys import STATE
from services.sandbox_provider.push import PUSH_ROUTE, UPDATE_ROUTE
from services.sandbox_provider.railz.errors import RailzError

log = structlog.get_logger(__name__)
CODAT_PREFIXES = ("/companies", "/integrations")
RAILZ_PREFIXES = ("/v2/", "/getAccess")
JSON_PREFIXES = (*CODAT_PREFIXES, *RAILZ_PREFIXES, "/admin")


def _error_type(request: web.Request) -> type[CodatError]:
    return RailzError if request.path.startswith(RAILZ_PREFIXES) else CodatError


def authorized(header: str, api_key: str) -> bool:
    """``Basic base64(api_key)``, as Codat's clients send it (``key:`` is accepted too)."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return any(hmac.compare_digest(decoded.encode(), candidate.encode())
               for candidate in (api_key, f"{api_key}:"))


@web.middleware
async def errors_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except CodatError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith(JSON_PREFIXES):
            return _error_type(request)(exc.status, exc.reason).response()
        raise
    except Exception:
        log.exception("sandbox.request_failed", method=request.method, path=request.path)
        return _error_type(request)(500, "The sandbox failed to handle the request").response()


def _codat_fault(status: int, message: str, retry_after: int | None) -> CodatError:
    return CodatError(status, message, headers={"Retry-After": str(retry_after)} if retry_after else None)


async def inject_faults(request: web.Request, company_id: str | None,
                        fail: Callable[[int, str, int | None], Exception], *, is_push: bool) -> None:
    """The configured faults for one request: rate limit, latency, 5xx, held requests (never
    for pushes: their timeout is decided when they complete)."""
    state = request.app[STATE]
    faults = state.faults_for(company_id)
    wait = state.rate_limiter.check(company_id or "-", faults.rate_limit_per_minute)
    if wait is not None:
        log.info("sandbox.rate_limited", company_id=company_id, retry_after=wait)
        raise fail(429, "You have made too many requests in a given amount of time; please retry later.", wait)
    if faults.latency_ms:
        await request.read()  # a slow server has the request; it answers late, but it answers
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.error_rate and state.rng.random() < faults.error_rate:
        status = state.rng.choice((500, 503))
        log.info("sandbox.fault_error", company_id=company_id, status=status)
        raise fail(status, "Injected fault: the service is unavailable, try again later", None)
    if faults.timeout_rate and not is_push and state.rng.random() < faults.timeout_rate:
        log.info("sandbox.fault_timeout", company_id=company_id, hold_s=state.timing.timeout_hold_s)
        await asyncio.sleep(state.timing.timeout_hold_s)


def codat_middleware(api_key: str):
    @functools.lru_cache(maxsize=64)  # a client sends the same header every time
    def allowed(header: str) -> bool:
        return authorized(header, api_key)

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        if not request.path.startswith(CODAT_PREFIXES):
            return await handler(request)
        if not allowed(request.headers.get("Authorization", "")):
            raise CodatError(401, "Unauthorized: send the header Authorization: Basic "
                                  "<base64 of your API key>")
        state = request.app[STATE]
        company_id = request.match_info.get("companyId")
        state.in_flight.enter(company_id or "-")  # every call counts, refused ones too
        try:
            is_push = request.match_info.route.name in (PUSH_ROUTE, UPDATE_ROUTE)
            await inject_faults(request, company_id, _codat_fault, is_push=is_push)
            return await handler(request)
        finally:
            state.in_flight.leave(company_id or "-")
    return middleware

