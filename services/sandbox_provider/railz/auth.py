"""Railz's token endpoint (``GET /getAccess`` with Basic client id + secret key) and the
middleware of the ``/v2/…`` surface: a valid Bearer token, then the configured faults."""
from __future__ import annotations

import base64
import binascii
import hmac

from aiohttp import web

from services.sandbox_provider.errors import loads
from services.sandbox_provider.keys import STATE
from services.sandbox_provider.middleware import inject_faults
from services.sandbox_provider.railz.errors import RailzError
from services.sandbox_provider.railz.keys import RAILZ
from services.sandbox_provider.railz.push import PUSH_ROUTES

routes = web.RouteTableDef()
ID_KEYS = ("connectionUuid", "connectionId", "businessUuid")


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


@routes.get("/getAccess")
async def get_access(request: web.Request) -> web.Response:
    railz = request.app[RAILZ]
    given = _basic(request.headers.get("Authorization", ""))
    if given is None or not (hmac.compare_digest(given[0].encode(), railz.client_id.encode())
                             and hmac.compare_digest(given[1].encode(), railz.secret_key.encode())):
        raise RailzError(401, "Unauthorized: send Authorization: Basic base64(<client id>:<secret key>)")
    token, ttl = railz.issue_token()
    return web.json_response({"access_token": token, "token_type": "Bearer", "expires_in": ttl})


def _rate_limited(status: int, message: str, retry_after: int | None) -> RailzError:
    headers = {"X-RateLimit-Reset": str(retry_after), "X-RateLimit-Remaining": "0"} if retry_after else None
    return RailzError(status, message, headers=headers)


async def _company_id(request: web.Request) -> str | None:
    found = next((request.query[k] for k in ID_KEYS if request.query.get(k)), None)
    if found is None and request.method in ("POST", "PUT") and request.can_read_body:
        try:
            body = await request.json(loads=loads)
        except ValueError:
            body = None
        if isinstance(body, dict):
            found = next((body[k] for k in ID_KEYS if isinstance(body.get(k), str)), None)
    return request.app[RAILZ].company_of(found)


@web.middleware
async def railz_middleware(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith("/v2/"):
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RailzError(401, "Unauthorized: send Authorization: Bearer <access token from /getAccess>")
    request.app[RAILZ].check_token(token.strip())
    is_push = request.match_info.route.name in PUSH_ROUTES
    company_id = await _company_id(request)
    in_flight = request.app[STATE].in_flight
    in_flight.enter(company_id or "-")  # every call counts, refused ones too
    try:
        await inject_faults(request, company_id, _rate_limited, is_push=is_push)
        return await handler(request)
    finally:
        in_flight.leave(company_id or "-")
