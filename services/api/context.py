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

__all__ = ["PRINCIPAL", "auth_middleware", "dump", "entity_id", "parse_body",
           "parse_query", "path_text", "path_uuid", "principal", "res"]
PRINCIPAL = web.RequestKey("principal", tokens.Principal)
PUBLIC_PATHS = ("/v1/auth/token", "/v1/auth/revoke")


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
        if await tokens.is_revoked(res(request).pool, found.jti):
            raise Unauthorized("Access token has been revoked")
        request[PRINCIPAL] = found
        structlog.contextvars.bind_contextvars(partner_id=found.partner_id)
    if not request.headers.get("X-Monite-Version", "").strip():
        raise _missing_header("x-monite-version")
    return await handler(request)


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
