"""Validation harness: do a request or response match Codat's published OpenAPI files?

``validate_request(method, path, body)`` and ``validate_response(method, path, status, body)``
take a concrete path (``/companies/abc/data/invoices?page=1``), find its operation in the spec
file that is current for it (``tests/vendor/codat/``), validate path and query parameters
(requests) and the JSON body against that operation's ``application/json`` schema, and return
a :class:`Checked` naming the spec and template used. ``validate_webhook(body)`` does the same
for a webhook against Platform's event catalogue. A mismatch raises ``AssertionError`` listing
every error with its JSON path.

Spec quirks handled while loading (README "Using them for validation"):
- ``nullable: true`` (OpenAPI 3.0) is rewritten to ``anyOf: [schema, {type: "null"}]``; the
  ``$ref`` pointers that ran through a rewritten node get ``/anyOf/0`` inserted (several do,
  e.g. ``#/components/schemas/Bill/allOf/0/properties/withholdingTax/items``);
- a schema nested under ``type`` (Accounting-2023 ``Item``) is unwrapped;
- each document is registered whole under one URI, so ``definitions`` and percent-encoded
  ``paths`` pointers resolve (``referencing`` percent-decodes).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.openapi_pointers import escape, json_schema_pointer

SPEC_DIR = Path(__file__).resolve().parent / "vendor" / "codat"  # README there: source, refresh
FILES = {
    "platform": "Codat-Platform.json",
    "payables": "Codat-Sync-Payables-v1.json",
    "commerce": "Codat-Sync-Commerce-v1.json",
    "lending": "Codat-Lending.yaml",
    "accounting2023": "Codat-Accounting-2023-04-26.json",
}
# Where each data type's current schema lives (README "What each file covers").
LIST_SPEC = {"accounts": "payables", "taxRates": "payables", "bills": "payables",
             "suppliers": "payables", "billPayments": "payables", "billCreditNotes": "payables",
             "invoices": "lending", "customers": "lending", "creditNotes": "lending",
             "payments": "lending", "items": "accounting2023"}
PUSH_SPEC = {"bills": "payables", "suppliers": "payables", "billPayments": "payables",
             "billCreditNotes": "payables", "accounts": "payables", "invoices": "commerce",
             "customers": "commerce", "creditNotes": "commerce", "payments": "commerce",
             "items": "accounting2023"}
FALLBACK_ORDER = ("platform", "payables", "commerce", "lending", "accounting2023")
_DATA = ("example", "examples", "default", "enum", "const")  # values, not schemas
_MAPS = ("properties", "patternProperties", "definitions", "$defs", "schemas", "dependentSchemas")


class Checked(NamedTuple):
    spec: str
    method: str
    template: str
    status: int | None  # None for a request


# ---- loading and quirk fixes ---------------------------------------------------------------

def _rewrite_nullable(node: Any, schema_map: bool = False) -> Any:
    """``{..., nullable: true}`` → ``{anyOf: [{...}, {type: "null"}]}``, everywhere but in
    example values; ``schema_map`` marks a name → schema map (``properties`` and the like).
    Also unwraps a schema nested under ``type`` (Accounting-2023 ``Item.definitions.itemType``
    is ``{type: {type: string, enum: [...]}}``, which no validator can use)."""
    if isinstance(node, list):
        return [_rewrite_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    if schema_map:
        return {key: _rewrite_nullable(value) for key, value in node.items()}
    fixed = {key: value if key in _DATA else _rewrite_nullable(value, key in _MAPS)
             for key, value in node.items()}
    if isinstance(fixed.get("type"), dict):
        fixed = {**fixed, **fixed.pop("type")}
    if fixed.pop("nullable", None) is True:
        return {"anyOf": [fixed, {"type": "null"}]}
    return fixed


def _fix_pointer(original: dict, ref: str) -> str:
    """Inserts ``anyOf/0`` after every node of ``ref``'s path that was nullable."""
    if not ref.startswith("#/"):
        return ref
    tokens, node, out = ref[2:].split("/"), original, []
    for index, raw in enumerate(tokens):
        node = _step(node, raw)
        out.append(raw)
        if isinstance(node, dict) and node.get("nullable") is True and index < len(tokens) - 1:
            out.append("anyOf/0")
    return "#/" + "/".join(out)


def _fix_refs(node: Any, original: dict) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            node["$ref"] = _fix_pointer(original, node["$ref"])
        for value in node.values():
            _fix_refs(value, original)
    elif isinstance(node, list):
        for item in node:
            _fix_refs(item, original)


def _parse(path: Path) -> dict:
    if path.suffix == ".yaml":
        return yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return json.loads(path.read_bytes())


@functools.cache
def load(name: str) -> dict:
    """The spec named ``name`` (a key of ``FILES``) with the quirks fixed; cached on disk."""
    path = SPEC_DIR / FILES[name]
    assert path.exists(), f"{path} is missing (tests/vendor/codat/README.md)"
    # keyed by the spec file and by this module, whose quirk fixes shape the cached result
    digest = hashlib.sha256(path.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"ledgersync-codat-{os.getuid()}-{name}-{digest}.json"
    if cache.exists():
        return json.loads(cache.read_bytes())
    original = _parse(path)
    fixed = _rewrite_nullable(original)
    _fix_refs(fixed, original)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(fixed))
    partial.replace(cache)
    return fixed


def _uri(name: str) -> str:
    return f"urn:codat:{name}"


@functools.cache
def _registry(name: str) -> Registry:
    resource = Resource.from_contents(load(name), default_specification=DRAFT202012)
    return Registry().with_resource(_uri(name), resource)


@functools.cache
def _validator(name: str, pointer: str) -> OAS31Validator:
    return OAS31Validator({"$ref": f"{_uri(name)}#{pointer}"}, registry=_registry(name),
                          format_checker=oas31_format_checker)


# ---- finding the operation -----------------------------------------------------------------

@functools.cache
def _templates(name: str) -> list[tuple[re.Pattern, str]]:
    """Path templates, most literal segments first, as full-match patterns."""
    def literal_count(template: str) -> int:
        return sum(1 for part in template.split("/") if part and not part.startswith("{"))
    ordered = sorted(load(name)["paths"], key=literal_count, reverse=True)
    return [(re.compile(re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(t)) + "$"), t)
            for t in ordered]


def _spec_order(path: str) -> list[str]:
    preferred = None
    if match := re.fullmatch(r"/companies/[^/]+/data/(\w+)(/[^/]+)?", path):
        preferred = LIST_SPEC.get(match.group(1))
    elif match := re.fullmatch(r"/companies/[^/]+/connections/[^/]+/push/(\w+)(/.*)?", path):
        preferred = PUSH_SPEC.get(match.group(1))
    return ([preferred] if preferred else []) + [n for n in FALLBACK_ORDER if n != preferred]


def find_operation(method: str, path: str) -> tuple[str, str, dict[str, str]]:
    """(spec name, template, path parameters) for a concrete path; AssertionError if none."""
    path = path.split("?")[0]
    for name in _spec_order(path):
        for pattern, template in _templates(name):
            if (match := pattern.match(path)) and method.lower() in load(name)["paths"][template]:
                names = re.findall(r"\{([^/]+?)\}", template)
                return name, template, dict(zip(names, map(unquote, match.groups()), strict=True))
    raise AssertionError(f"{method.upper()} {path} is in none of the Codat specs")



def _deref(name: str, pointer: str) -> tuple[str, dict]:
    """Follows a local ``$ref`` chain (responses and request bodies may be references)."""
    node = _walk(load(name), pointer)
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"][1:]
        node = _walk(load(name), pointer)
    return pointer, node


def _walk(document: dict, pointer: str) -> Any:
    node: Any = document
    for raw in pointer.lstrip("/").split("/"):
        node = _step(node, raw)
    return node


def _step(node: Any, raw: str) -> Any:
    key = unquote(raw).replace("~1", "/").replace("~0", "~")
    return node[int(key)] if isinstance(node, list) else node[key]


# ---- validating ----------------------------------------------------------------------------

def _describe(error: ValidationError) -> list[str]:
    lines = [f"{error.json_path}: {error.message}"]
    for sub in sorted(error.context or [], key=lambda e: e.relative_schema_path[0])[:6]:
        lines.append(f"    ({sub.json_path}: {sub.message})")
    return lines


def _check(name: str, pointer: str, body: Any, what: str) -> None:
    errors = sorted(_validator(name, pointer).iter_errors(body), key=lambda e: e.json_path)
    if errors:
        lines = [line for error in errors for line in _describe(error)]
        raise AssertionError(f"{what} does not match {FILES[name]}:\n  " + "\n  ".join(lines))



def _parameters(name: str, template: str, method: str) -> dict[tuple[str, str], str]:
    """(in, name) → pointer to the parameter's schema; operation-level ones win."""
    base, item = f"/paths/{escape(template)}", load(name)["paths"][template]
    found = {}
    for prefix, params in ((base, item.get("parameters", [])),
                           (f"{base}/{method}", item[method].get("parameters", []))):
        for index in range(len(params)):
            pointer, node = _deref(name, f"{prefix}/parameters/{index}")
            found[(node["in"], node["name"])] = f"{pointer}/schema"
    return found


def _check_parameters(name: str, template: str, method: str, where: str,
                      values: dict[str, str], what: str) -> None:
    declared = _parameters(name, template, method)
    for key, text in values.items():
        assert (where, key) in declared, f"{what}: {where} parameter {key!r} is not in the spec"
        candidates = [text] + ([int(text)] if re.fullmatch(r"-?\d+", text) else [])
        if not any(_validator(name, declared[(where, key)]).is_valid(c) for c in candidates):
            _check(name, declared[(where, key)], candidates[-1], f"{what} {where} {key}")


def validate_request(method: str, path: str, body: Any = None) -> Checked:
    """Validates a request: path parameters, query parameters (``path`` may carry a query
    string) and the JSON body (``None``: no body)."""
    name, template, path_params = find_operation(method, path)
    method = method.lower()
    what = f"request {method.upper()} {path}"
    query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    _check_parameters(name, template, method, "path", path_params, what)
    _check_parameters(name, template, method, "query", query, what)
    operation = load(name)["paths"][template][method]
    if "requestBody" in operation:
        pointer, node = _deref(name, f"/paths/{escape(template)}/{method}/requestBody")
        schema = json_schema_pointer(pointer, node, what)
        if body is None:
            assert not node.get("required"), f"{what}: the body is required"
        elif schema:
            _check(name, schema, body, what)
    else:
        assert body is None, f"{what}: the operation takes no body"
    return Checked(name, method.upper(), template, None)


def validate_response(method: str, path: str, status: int, body: Any) -> Checked:
    """Validates a response's JSON body (``None``: no body) against the schema of its
    documented status."""
    name, template, _ = find_operation(method, path)
    method = method.lower()
    what = f"response {status} to {method.upper()} {path}"
    responses = load(name)["paths"][template][method].get("responses", {})
    key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
    assert key, f"{what}: status {status} is not documented ({sorted(responses)})"
    pointer, node = _deref(name, f"/paths/{escape(template)}/{method}/responses/{key}")
    schema = json_schema_pointer(pointer, node, what)
    if schema is None:
        assert body in (None, b"", ""), f"{what}: the spec documents no body, got {body!r:.200}"
    else:
        _check(name, schema, body, what)
    return Checked(name, method.upper(), template, status)


def validate_webhook(body: Any) -> Checked:
    """Validates a webhook body against the event catalogue of Codat-Platform.json."""
    hooks = load("platform")["webhooks"]
    event_type = body.get("eventType") if isinstance(body, dict) else None
    key = event_type if event_type in hooks else None
    if key is None and event_type and ".write." in event_type:
        key = "{dataType}.write." + event_type.split(".write.", 1)[1]
    assert key in hooks, f"webhook event type {event_type!r} is not in Codat-Platform.json"
    pointer, node = _deref("platform", f"/webhooks/{escape(key)}/post/requestBody")
    _check("platform", json_schema_pointer(pointer, node, f"webhook {event_type}"), body,
           f"webhook {event_type}")
    return Checked("platform", "WEBHOOK", key, None)
