"""The one place the API reads what a client sent: body, query, path and header values.

Anything malformed answers a 4xx naming what is wrong, in the documented error shape, before
it reaches a handler or the database: a body that is not JSON (400) or not a JSON object
(422), a body of another media type (415), values PostgreSQL cannot hold (a NUL character,
an integer beyond 64 bits: 422), malformed UUIDs (422), and whatever the contract refuses (422).
"""
from __future__ import annotations

import json
import uuid
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from services.api.error_responses import BadRequest, UnsupportedMediaType
from services.core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)
INT64 = 2**63 - 1
JSON_TYPES = ("application/json",)


def _error(loc: list, msg: str, kind: str) -> dict:
    return {"loc": loc, "msg": msg, "type": kind}


def pydantic_detail(exc: ValidationError, prefix: str) -> list[dict]:
    return [_error([prefix, *err["loc"]], err["msg"], err["type"])
            for err in exc.errors(include_url=False, include_context=False)]


def unstorable(value: Any, loc: list) -> list[dict]:
    """Errors for values no column can hold: strings with NUL, integers beyond 64 bits."""
    if isinstance(value, str):
        return [_error(loc, "NUL characters are not allowed", "string_nul")] if "\x00" in value else []
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64:
        return [_error(loc, f"Integer is out of range (at most {INT64} in magnitude)", "int_range")]
    if isinstance(value, dict):
        return [e for key, item in value.items()
                for e in unstorable(key, loc) + unstorable(item, [*loc, key])]
    if isinstance(value, (list, tuple)):
        return [e for index, item in enumerate(value) for e in unstorable(item, [*loc, index])]
    return []


def _refuse(message: str, errors: list[dict]) -> None:
    if errors:
        raise ValidationFailed(message, errors)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


async def read_json(request: web.Request) -> tuple[bool, Any]:
    """(present, value): the body parsed as strict JSON; ``(False, None)`` when empty."""
    raw = await request.read()  # raises 413 past client_max_size
    if not raw.strip():
        return False, None
    if request.content_type not in JSON_TYPES and not request.content_type.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not "
                                   f"{request.headers.get('Content-Type') or 'missing'}")
    try:
        return True, json.loads(raw, parse_constant=_no_constants)
    except RecursionError as exc:
        raise BadRequest("Request body is not valid JSON: it is nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest("Request body is not valid JSON: it is not UTF-8") from exc
    except ValueError as exc:  # not JSON, NaN/Infinity, a number of thousands of digits
        raise BadRequest(f"Request body is not valid JSON: {str(exc).split(';')[0][:200]}") from exc


async def parse_body(request: web.Request, model: type[M], *, optional: bool = False) -> M | None:
    """The body as ``model``; None when it is empty and ``optional``."""
    present, data = await read_json(request)
    if not present:
        if optional:
            return None
        raise ValidationFailed("Request body is required", [_error(["body"], "Field required", "missing")])
    if not isinstance(data, dict):
        kind = "null" if data is None else type(data).__name__.replace("str", "string")
        raise ValidationFailed("Request body must be a JSON object",
                               [_error(["body"], f"Input should be a JSON object, not {kind}", "model_type")])
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("Invalid request body", pydantic_detail(exc, "body")) from exc
    _refuse("Invalid request body", unstorable(parsed.model_dump(), ["body"]))  # what is kept
    return parsed


def validate_query(model: type[M], data: dict[str, Any]) -> M:
    """``data`` (query values, or a pagination token's saved query) as ``model``."""
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("Invalid query", pydantic_detail(exc, "query")) from exc
    _refuse("Invalid query", unstorable(parsed.model_dump(), ["query"]))
    return parsed


def parse_query(request: web.Request, model: type[M], multi: tuple[str, ...] = ()) -> M:
    data: dict[str, object] = {}
    for key in request.query:
        values = request.query.getall(key)
        data[key] = values if key in multi else values[-1]
    return validate_query(model, data)


def uuid_value(raw: str, loc: list) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed(f"{loc[-1]} is not a valid UUID", [_error(
            loc, f"Input should be a valid UUID, not {raw[:60]!r}", "uuid_parsing")]) from None


def path_uuid(request: web.Request, name: str) -> uuid.UUID:
    return uuid_value(request.match_info[name], ["path", name])


def path_text(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    _refuse("Invalid path", unstorable(value, ["path", name]))
    return value
