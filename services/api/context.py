"""Per-request context: the app's dependencies, the authenticated partner, the entity it acts for."""
from __future__ import annotations

import uuid

import structlog
from aiohttp import web
from pydantic import BaseModel

from services.api.parsing import parse_body, parse_query, path_text, path_uuid, uuid_value
from services.auth import tokens
from services.app_keys import DEPS, AppDeps
from services.core.errors import NotFound, Unauthorized, ValidationFailed
from services.entities import partner_of

__all__ = ["PRINCIPAL", "auth_middleware", "dump", "entity_id", "parse_body", "parse_query",
           "path_text", "path_uuid", "principal", "res", "revocation_checked", "revocation_in_its_query"]
PRINCIPAL = web.RequestKey("principal", tokens.Principal)
PUBLIC_PATHS = ("/v1/auth/token", "/v1/auth/revoke")
REVOCATION_CHECKED = web.RequestKey("revocation_checked", bool)


def revocation_in_its_query(view):
    """Marks a read-only view that checks the token's revocation in its own query (one round
    trip less) and then calls ``revocation_checked``; any other way out is checked after it."""
    view.revocation_in_query = True
    return view


def revocation_checked(request: web.Request) -> None:
    request[REVOCATION_CHECKED] = True


def res(request: web.Request) -> AppDeps:
    """The pool, adapter and settings the views use."""
    return request.app[DEPS]


def principal(request: web.Request) -> tokens.Principal:
    return request[PRINCIPAL]


def _missing_header(name: str) -> ValidationFailed:
    return ValidationFailed(f"Header {name} is required",
                            [{"loc": ["header", name], "msg": "Field required", "type": "missing"}])


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """Every /v1 call needs X-Monite-Version; all but the token calls need a valid bearer token."""
    if not request.path.startswith("/v1/"):
        return await handler(request)
    if request.path not in PUBLIC_PATHS:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Missing bearer token in the Authorization header")
        found = tokens.decode(res(request).settings, token.strip())
        request[PRINCIPAL] = found
        structlog.contextvars.bind_contextvars(partner_id=found.partner_id)
        versioned = bool(request.headers.get("X-Monite-Version", "").strip())
        if versioned and getattr(request.match_info.handler, "revocation_in_query", False):
            return await _revocation_after(request, handler, found.jti)
        await _not_revoked(request, found.jti)
    if not request.headers.get("X-Monite-Version", "").strip():
        raise _missing_header("x-monite-version")
    return await handler(request)


async def _not_revoked(request: web.Request, jti: str) -> None:
    if await tokens.is_revoked(res(request).pool, jti):
        raise Unauthorized("Access token has been revoked")


async def _revocation_after(request: web.Request, handler, jti: str) -> web.StreamResponse:
    """The view checks revocation in its query; whatever else it answers (an error before its
    query ran) is checked here, so a revoked token always gets 401."""
    try:
        response = await handler(request)
    except Exception:
        if not request.get(REVOCATION_CHECKED):
            await _not_revoked(request, jti)
        raise
    if not request.get(REVOCATION_CHECKED):
        await _not_revoked(request, jti)
    return response


async def entity_id(request: web.Request, path_param: str | None = None) -> uuid.UUID:
    """The entity of X-Monite-Entity-Id (or of the path parameter ``path_param``); 422 when
    malformed, 404 unless it belongs to the partner."""
    if path_param is not None:
        value = path_uuid(request, path_param)
    else:
        raw = request.headers.get("X-Monite-Entity-Id", "").strip()
        if not raw:
            raise _missing_header("x-monite-entity-id")
        value = uuid_value(raw, ["header", "x-monite-entity-id"])
    owner = await partner_of(res(request).pool, value)
    if owner is None or str(owner) != principal(request).partner_id:
        raise NotFound("Entity not found")
    structlog.contextvars.bind_contextvars(entity_id=str(value))
    return value


def dump(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(text=model.model_dump_json(), status=status)
