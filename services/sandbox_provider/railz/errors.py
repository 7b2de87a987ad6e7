"""Railz's error body (``{"error": {statusCode, message[], error}, "payload": {}}``)."""
from __future__ import annotations

from http import HTTPStatus

from aiohttp import web

from services.sandbox_provider.errors import CodatError, loads


class RailzError(CodatError):
    """Raised when a Railz request must be answered with Railz's error body; ``errors`` are
    the messages (Railz sends an array of strings)."""

    def response(self) -> web.Response:
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Error"
        messages = [str(m) for m in self.errors] if self.errors else [self.message]
        body = {"error": {"statusCode": self.status, "message": messages, "error": reason},
                "payload": {}}
        return web.json_response(body, status=self.status, headers=self.headers)


def bad_request(*messages: str) -> RailzError:
    return RailzError(400, messages[0], list(messages))


async def json_object(request: web.Request) -> dict:
    try:
        body = await request.json(loads=loads)
    except ValueError:
        raise bad_request("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return body


def required_text(body: dict, field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{field} should not be empty", f"{field} must be a string")
    return value.strip()
