"""Errors to HTTP, in one place: {"error": {"message"}} for 4xx/5xx, {"detail": [...]} for 422."""
from __future__ import annotations

import json

import structlog
from aiohttp import web
from pydantic import ValidationError

from services.core.errors import (
    Conflict,
    LedgersyncError,
    NotFound,
    PermanentError,
    ProviderError,
    RetryableError,
    Unauthorized,
    ValidationFailed,
)
from services.core.http import MAX_BODY

log = structlog.get_logger(__name__)


def error_response(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"error": {"message": message}}, status=status, headers=headers)


def validation_response(detail: list[dict]) -> web.Response:
    return web.json_response({"detail": detail}, status=422)


def pydantic_detail(exc: ValidationError, prefix: str) -> list[dict]:
    return [{"loc": [prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_context=False)]


@web.middleware
async def errors_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[MAX_BODY]
        return error_response(413, f"Request body is too large (limit {limit} bytes)")
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return error_response(exc.status, exc.reason, headers={
                k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")})
        raise
    except ValidationFailed as exc:
        return validation_response(exc.errors or [{"loc": [], "msg": exc.message, "type": "value_error"}])
    except Unauthorized as exc:
        return error_response(401, exc.message or "Not authenticated",
                              headers={"WWW-Authenticate": "Bearer"})
    except NotFound as exc:
        return error_response(404, exc.message or "Not found")
    except Conflict as exc:
        return error_response(409, exc.message)
    except (ProviderError, RetryableError) as exc:
        log.warning("api.provider_unavailable", error=str(exc))
        retry_after = getattr(exc, "retry_after", None) or 5
        return error_response(503, "The accounting provider is unavailable; try again shortly",
                              headers={"Retry-After": str(int(retry_after))})
    except PermanentError as exc:
        return error_response(400, exc.message)
    except LedgersyncError as exc:
        log.exception("api.unhandled_error")
        return error_response(500, exc.message or "Internal error")
    except Exception:
        log.exception("api.unhandled_error")
        return error_response(500, "Internal error")


async def read_json(request: web.Request, *, optional: bool = False) -> object:
    """The request body as JSON; a clear 400 when it is not JSON, None when empty and optional."""
    raw = await request.read()  # raises 413 past client_max_size
    if not raw.strip():
        if optional:
            return None
        raise ValidationFailed("Request body is required",
                               [{"loc": ["body"], "msg": "Field required", "type": "missing"}])
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": {"message": f"Request body is not valid JSON: {exc}"}}),
            content_type="application/json") from exc
