"""Errors to HTTP, in one place: {"error": {"message"}} for 4xx/5xx, {"detail": [...]} for 422."""
from __future__ import annotations

import asyncpg
import structlog
from aiohttp import web

from services.core.errors import (
    Conflict,
    LedgersyncError,
    NotFound,
    PermanentError,
    ProviderError,
    ProviderRejected,
    RetryableError,
    Unauthorized,
    ValidationFailed,
)
from services.core import db
from services.core.broker import BrokerUnavailable
from services.core.http import MAX_BODY, unavailable_response

log = structlog.get_logger(__name__)


class BadRequest(PermanentError):
    """Raised when a request cannot be read at all (its body is not JSON)."""


class UnsupportedMediaType(PermanentError):
    """Raised when a request body comes in a media type the API does not read."""


def error_response(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"error": {"message": message}}, status=status, headers=headers)


def validation_response(detail: list[dict]) -> web.Response:
    return web.json_response({"detail": detail}, status=422)


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
    except BadRequest as exc:
        return error_response(400, exc.message)
    except UnsupportedMediaType as exc:
        return error_response(415, exc.message)
    except Unauthorized as exc:
        return error_response(401, exc.message or "Not authenticated",
                              headers={"WWW-Authenticate": "Bearer"})
    except NotFound as exc:
        return error_response(404, exc.message or "Not found")
    except Conflict as exc:
        return error_response(409, exc.message)
    except (*db.UNAVAILABLE, BrokerUnavailable) as exc:
        return unavailable_response(exc)
    except db.CONFLICTS as exc:  # still in conflict after the service's own retries: the caller's turn
        log.warning("api.transaction_conflict", error=str(exc).splitlines()[0])
        return error_response(503, "A concurrent change to the same data got in the way; try again",
                              headers={"Retry-After": "1"})
    except ProviderRejected as exc:  # permanent: retrying cannot help, so no Retry-After
        log.warning("api.provider_refused", error=str(exc), provider_status=exc.status)
        return error_response(502, f"The accounting provider refused the request: {exc.message}")
    except (ProviderError, RetryableError) as exc:
        log.warning("api.provider_unavailable", error=str(exc))
        retry_after = getattr(exc, "retry_after", None) or 5
        return error_response(503, "The accounting provider is unavailable; try again shortly",
                              headers={"Retry-After": str(int(retry_after))})
    except PermanentError as exc:
        return error_response(400, exc.message)
    except asyncpg.DataError as exc:  # a value the parsing edge let through and PostgreSQL refused
        log.warning("api.value_refused_by_database", error=str(exc))
        return validation_response([{"loc": [], "msg": "A value in the request cannot be stored",
                                     "type": "value_error"}])
    except LedgersyncError as exc:
        log.exception("api.unhandled_error")
        return error_response(500, exc.message or "Internal error")
    except Exception:
        log.exception("api.unhandled_error")
        return error_response(500, "Internal error")

