"""The OpenAPI 3.1 document of the partner API, built from `contracts.api.ROUTES`."""
from __future__ import annotations

from typing import Any, Iterable

from contracts import __version__
from contracts.api.common import ErrorBody, ValidationErrorBody
from contracts.api.partner_webhooks import WebhookEvent
from contracts.api.routes import PATH_PARAM_SCHEMAS, ROUTES, Route
from contracts.jsonschema import components

_ERRORS = {
    400: ("BadRequest", "The body is not JSON (or, for a revoke, the token is not the partner's)."),
    401: ("Unauthorized", "Missing, malformed, expired or revoked bearer token, or bad credentials."),
    404: ("NotFound", "No such object for this entity (or the entity is not the partner's)."),
    409: ("Conflict", "The request contradicts the current state (e.g. a second active connection)."),
    413: ("PayloadTooLarge", "The body is larger than the API accepts."),
    415: ("UnsupportedMediaType", "The body is not `application/json`."),
    422: ("UnprocessableEntity", "A header, a parameter or the body is invalid: `detail` names "
                                "each offending field (`loc`) and what is wrong (`msg`)."),
    502: ("ProviderRefused", "The accounting provider refused the request for good; the message "
                            "carries the provider's reason. Retrying the same request will not help."),
    503: ("ServiceUnavailable", "A dependency is unavailable (the database, the broker, or the "
                               "accounting provider, also when it rate-limits); retry after "
                               "`Retry-After` seconds."),
}
_HEADERS = {
    "XMoniteVersion": {"name": "X-Monite-Version", "in": "header", "required": True,
                       "description": "API version date; missing → 422.",
                       "schema": {"type": "string", "examples": ["2024-05-25"]}},
    "XMoniteEntityId": {"name": "X-Monite-Entity-Id", "in": "header", "required": True,
                        "description": "The entity the call acts for; must be the partner's.",
                        "schema": {"type": "string", "format": "uuid"}},
}


def build_openapi(routes: Iterable[Route] = ROUTES) -> dict[str, Any]:
    """The OpenAPI 3.1 document: one operation per route, schemas under `components`."""
    routes = tuple(routes)
    refs, schemas = components(_models(routes))
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "ledgersync API", "version": __version__,
                 "description": "Accounting integration API, wire-compatible with Monite's "
                                "accounting API (the `monite` SDK works against it)."},
        "servers": [{"url": "http://127.0.0.1:8080", "description": "local `ledgersync api`"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "webhooks": _webhooks(refs),
        "components": {
            "schemas": schemas,
            "parameters": _HEADERS,
            "responses": _error_responses(refs),
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A token from `POST /v1/auth/token`."}},
        },
    }


def _webhooks(refs) -> dict[str, Any]:
    """What ledgersync POSTs to a webhook subscription's URL."""
    return {"partnerEvent": {"post": {
        "operationId": "partner_event", "summary": "An event, POSTed to each matching subscription",
        "description": WebhookEvent.__doc__ + " Acknowledge with any 2xx; anything else is retried "
                       "with backoff for 24 h. De-duplicate on `id`.",
        "parameters": [{"name": "Monite-Signature", "in": "header", "required": True,
                        "description": "`t=<unix s>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">`, "
                                       "keyed with the subscription's whole secret (`whsec_` included).",
                        "schema": {"type": "string", "examples": ["t=1700000000,v1=4b0128…"]}}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": refs[(WebhookEvent, "serialization")]}}},
        "responses": {"2XX": {"description": "Received."}}}}}


def _models(routes: tuple[Route, ...]):
    yield WebhookEvent, "serialization"
    yield ErrorBody, "serialization"
    yield ValidationErrorBody, "serialization"
    for r in routes:
        if r.query:
            yield r.query, "validation"
        if r.request:
            yield r.request, "validation"
        if r.response:
            yield r.response, "serialization"


def _operation(r: Route, refs, schemas) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": r.operation_id, "summary": r.summary, "tags": list(r.tags),
                          "parameters": _parameters(r, refs, schemas),
                          "responses": {str(r.status): _success(r, refs)}}
    for status in r.error_statuses:
        op["responses"][str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    if r.operation_id == "get_readyz":
        op["responses"]["503"] = {"description": "A part the process needs is missing; the body "
                                                 "says which.",
                                  "content": {r.media_type: {"schema": _ref(r.response, refs)}}}
    if r.request:
        op["requestBody"] = {"required": r.request_required, "content": {
            "application/json": {"schema": refs[(r.request, "validation")]}}}
    if not r.authenticated:
        op["security"] = []
    return op


def _parameters(r: Route, refs, schemas) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": PATH_PARAM_SCHEMAS.get(name, {"type": "string"})} for name in r.path_params]
    if r.versioned:
        params.append({"$ref": "#/components/parameters/XMoniteVersion"})
    if r.entity_scoped:
        params.append({"$ref": "#/components/parameters/XMoniteEntityId"})
    if r.query:
        query = schemas[refs[(r.query, "validation")]["$ref"].rsplit("/", 1)[1]]
        required = set(query.get("required", ()))
        for name, schema in query["properties"].items():
            param = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if "array" in str(schema.get("type")) or "anyOf" in schema and any(
                    s.get("type") == "array" for s in schema["anyOf"]):
                param.update(style="form", explode=True)
            params.append(param)
    return params


def _success(r: Route, refs) -> dict[str, Any]:
    response: dict[str, Any] = {"description": r.summary}
    if r.status == 204:
        return response
    if r.response is not None:
        response["content"] = {r.media_type: {"schema": _ref(r.response, refs)}}
    elif r.media_type.startswith("text/"):
        response["content"] = {r.media_type: {"schema": {"type": "string"}}}
    else:
        response["content"] = {r.media_type: {"schema": {"type": "object"}}}
    return response


def _ref(model, refs) -> dict[str, Any]:
    return refs[(model, "serialization")]


def _error_responses(refs) -> dict[str, Any]:
    responses = {}
    for status, (name, description) in _ERRORS.items():
        body = ValidationErrorBody if status == 422 else ErrorBody
        responses[name] = {"description": description,
                           "content": {"application/json": {"schema": _ref(body, refs)}}}
    responses["ServiceUnavailable"]["headers"] = {"Retry-After": {
        "description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
    return responses
