"""Validation harness for Railz's OpenAPI v2 (``tests/vendor/railz/``, OpenAPI 3.0):
``validate_request(method, path, body)`` and ``validate_response(method, path, status, body)``
take a concrete path with its query string, find its operation, check the query parameters
and the JSON body against the operation's schemas and return the template matched. A mismatch
raises ``AssertionError`` listing every error with its JSON path. OpenAPI 3.0's ``nullable``
is understood by ``OAS30Validator``; nothing in the file is rewritten."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.openapi_pointers import escape, json_schema_pointer

SPEC = Path(__file__).resolve().parent / "vendor" / "railz" / "railz-openapi-v2.yaml"
URI = "urn:railz:v2"


@functools.cache
def load() -> dict:
    return yaml.load(SPEC.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(URI, Resource.from_contents(load(), default_specification=DRAFT4))


@functools.cache
def _validator(pointer: str) -> OAS30Validator:
    return OAS30Validator({"$ref": f"{URI}#{pointer}"}, registry=_registry(), format_checker=oas30_format_checker)


@functools.cache
def _templates() -> list[tuple[re.Pattern, str]]:
    """Path templates, most literal segments first, as full-match patterns."""
    ordered = sorted(load()["paths"], key=lambda t: sum(1 for p in t.split("/") if p and "{" not in p), reverse=True)
    return [(re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)) + "$"), t) for t in ordered]


def find_operation(method: str, path: str) -> str:
    bare = urlsplit(path).path
    for pattern, template in _templates():
        if pattern.match(bare) and method.lower() in load()["paths"][template]:
            return template
    raise AssertionError(f"{method.upper()} {bare} is not in the Railz spec")



def _check(pointer: str, body: Any, what: str) -> None:
    errors = sorted(_validator(pointer).iter_errors(body), key=lambda e: e.json_path)
    if errors:
        lines = [f"{e.json_path}: {e.message}" for e in errors]
        raise AssertionError(f"{what} does not match the Railz spec:\n  " + "\n  ".join(lines))



def validate_request(method: str, path: str, body: Any = None) -> str:
    template = find_operation(method, path)
    method = method.lower()
    operation, what = load()["paths"][template][method], f"request {method.upper()} {path}"
    base = f"/paths/{escape(template)}/{method}"
    declared = {p["name"]: i for i, p in enumerate(operation.get("parameters", [])) if p["in"] == "query"}
    query = parse_qsl(urlsplit(path).query, keep_blank_values=True)
    for name, text in query:
        assert name in declared, f"{what}: query parameter {name!r} is not in the spec"
        pointer = f"{base}/parameters/{declared[name]}/schema"
        candidates = [text] + ([float(text)] if re.fullmatch(r"-?\d+(\.\d+)?", text) else []) + \
            ([text == "true"] if text in ("true", "false") else [])
        if not any(_validator(pointer).is_valid(c) for c in candidates):
            _check(pointer, candidates[-1], f"{what} query {name}")
    for name, index in declared.items():
        if operation["parameters"][index].get("required"):
            assert name in dict(query), f"{what}: the required query parameter {name!r} is missing"
    if "requestBody" in operation:
        pointer = json_schema_pointer(f"{base}/requestBody", operation["requestBody"], what)
        if body is None:
            assert not operation["requestBody"].get("required"), f"{what}: the body is required"
        elif pointer:
            _check(pointer, body, what)
    else:
        assert body is None, f"{what}: the operation takes no body"
    return template


def validate_response(method: str, path: str, status: int, body: Any) -> str:
    template = find_operation(method, path)
    method = method.lower()
    what = f"response {status} to {method.upper()} {path}"
    responses = load()["paths"][template][method].get("responses", {})
    assert str(status) in responses, f"{what}: status {status} is not documented ({sorted(responses)})"
    pointer = json_schema_pointer(f"/paths/{escape(template)}/{method}/responses/{status}", responses[str(status)], what)
    if pointer is None:
        assert body in (None, b"", ""), f"{what}: the spec documents no body, got {body!r:.200}"
    else:
        _check(pointer, body, what)
    return template
