"""Codat's error body (``ErrorMessage``) and the one exception every sandbox view raises."""
from __future__ import annotations

import json
import uuid

import orjson
from aiohttp import web


SERVICE = "PublicApi"


def validation_item(item_id: str | None, message: str, validator: str) -> dict:
    """One entry of ``validation.errors``, as Codat writes it."""
    return {"itemId": item_id, "message": message, "validatorName": validator}


def error_body(status: int, message: str, errors: list[dict] | None = None) -> dict:
    return {
        "statusCode": status,
        "service": SERVICE,
        "error": message,
        "correlationId": uuid.uuid4().hex,
        "validation": {"errors": errors, "warnings": []} if errors else None,
        "canBeRetried": "Unknown",
        "detailedErrorCode": 0,
    }


class CodatError(Exception):
    """Raised when a sandbox request must be answered with Codat's ErrorMessage body."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.json_response(error_body(self.status, self.message, self.errors),
                                 status=self.status, headers=self.headers)


def not_found(what: str, ident: str) -> CodatError:
    return CodatError(404, f"No {what} was found with ID {ident}")


def bad_request(message: str, errors: list[dict] | None = None) -> CodatError:
    return CodatError(400, message, errors)


_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19  # 19 digits in a row: may be an integer orjson cannot keep exactly


def loads(text: str):
    """What ``json.loads`` makes of ``text`` (the same value, the same errors), faster: orjson,
    unless the text has 19 digits in a row (orjson reads an integer beyond 64 bits as a float)
    or orjson refuses it (the standard library still takes NaN, 1e400, a lone surrogate)."""
    try:
        raw = text.encode()
    except UnicodeEncodeError:
        return json.loads(text)
    if _LONG_NUMBER in raw.translate(_DIGITS):
        return json.loads(text)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(text)


async def json_object(request: web.Request) -> dict:
    """The request body as a JSON object, or a 400 that says why not."""
    try:
        body = await request.json(loads=loads)
    except ValueError:
        raise bad_request("The request body is not valid JSON",
                          [validation_item(None, "The request body is not valid JSON", "JsonParse")]) from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object",
                          [validation_item(None, "Expected a JSON object", "JsonParse")])
    return body
