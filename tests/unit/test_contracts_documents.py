"""The generated documents: committed and current, valid, and agreeing with the models."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource

from contracts import generate
from contracts.api import API_PREFIX, ROUTES
from contracts.asyncapi import build_asyncapi
from contracts.events import DOMAIN_EVENT_TYPES, OUTBOUND_EVENT_TYPES
from contracts.openapi import build_openapi


def _load_examples():
    """The realistic events of `test_contracts_events.py`, loaded by path (any import mode)."""
    path = Path(__file__).with_name("test_contracts_events.py")
    spec = importlib.util.spec_from_file_location("_contracts_event_examples", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


envelope = _load_examples().envelope


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate.expected_files()


def test_committed_documents_are_current():
    problems = generate.check()
    assert not problems, ("generated contracts are stale; run `python -m contracts.generate`:\n"
                          + "\n".join(problems))


def test_check_reports_stale_missing_and_extra_files(tmp_path):
    generate.write(tmp_path)
    assert generate.check(tmp_path) == []
    (tmp_path / "openapi.json").write_text("{}\n")
    (tmp_path / "schemas" / "event.receivable.issued.json").unlink()
    (tmp_path / "schemas" / "leftover.json").write_text("{}\n")
    assert generate.check(tmp_path) == ["stale: openapi.json",
                                        "missing: schemas/event.receivable.issued.json",
                                        "extra: schemas/leftover.json"]
    assert generate.main(["--check"]) == 0


def test_output_is_deterministic_and_sorted(files):
    first, second = files, generate.expected_files()
    assert first == second
    text = first["openapi.json"]
    assert text.endswith("}\n") and text == generate.render(json.loads(text))


def test_openapi_is_valid_and_covers_every_route():
    document = build_openapi()
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    operations = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    assert operations == {(r.method, r.path) for r in ROUTES}
    assert {"/healthz", "/readyz", "/metrics", "/openapi.json"} <= set(document["paths"])
    assert all(path.startswith(API_PREFIX) for _, path in operations
               if path not in {"/healthz", "/readyz", "/metrics", "/openapi.json"})


def test_openapi_operations_declare_headers_security_and_errors():
    paths = build_openapi()["paths"]
    listing = paths["/v1/accounting_synced_records"]["get"]
    refs = [p.get("$ref") for p in listing["parameters"]]
    assert "#/components/parameters/XMoniteVersion" in refs
    assert "#/components/parameters/XMoniteEntityId" in refs
    query = {p["name"]: p for p in listing["parameters"] if p.get("in") == "query"}
    assert query["object_type"]["required"] is True and query["object_id__in"]["explode"] is True
    assert set(query) >= {"order", "limit", "pagination_token", "sort", "object_id",
                          "created_at__gt", "updated_at__lte"}
    assert set(listing["responses"]) == {"200", "401", "404", "422", "503"}  # the API never answers 429
    create = paths["/v1/accounting_connections"]["post"]
    assert set(create["responses"]) == {"201", "400", "401", "404", "409", "413", "415", "422",
                                        "502", "503"}
    assert "Retry-After" in build_openapi()["components"]["responses"]["ServiceUnavailable"]["headers"]
    assert create["requestBody"]["required"] is False
    token = paths["/v1/auth/token"]["post"]
    assert token["security"] == [] and "XMoniteEntityId" not in json.dumps(token["parameters"])
    assert paths["/healthz"]["get"]["security"] == [] and not paths["/healthz"]["get"]["parameters"]


def _resolve(document: dict, ref: str) -> dict:
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_asyncapi_messages_and_refs_resolve():
    document = build_asyncapi()
    assert document["asyncapi"].startswith("2.")
    channels = document["channels"]
    domain = channels["domain.events"]["publish"]["message"]["oneOf"]
    outbound = channels["ledgersync.events"]["subscribe"]["message"]["oneOf"]
    assert {m["$ref"].rsplit("/", 1)[1] for m in domain} == set(DOMAIN_EVENT_TYPES)
    assert {m["$ref"].rsplit("/", 1)[1] for m in outbound} == set(OUTBOUND_EVENT_TYPES)
    assert len(channels["/webhooks/codat"]["publish"]["message"]["oneOf"]) == 3
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(document)))
    assert refs
    for ref in refs:
        assert _resolve(document, ref), ref


@pytest.mark.parametrize("event_type", sorted(DOMAIN_EVENT_TYPES))
def test_event_json_schemas_accept_the_examples(event_type, files):
    schema = json.loads(files[f"schemas/event.{event_type}.json"])
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(envelope(event_type))
    wrong = envelope(event_type, type="something.else")
    assert list(Draft202012Validator(schema).iter_errors(wrong))


def test_api_schemas_validate_under_components():
    document = build_openapi()
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(
        {**document, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    schema = {"$ref": "urn:openapi#/components/schemas/AccountingConnectionList"}
    validator = Draft202012Validator(schema, registry=registry)
    validator.validate({"data": [{"id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                                  "created_at": "2026-11-20T10:00:00Z",
                                  "updated_at": "2026-11-20T10:00:00Z",
                                  "connection_url": "https://x", "status": "pending_auth"}]})
    assert list(validator.iter_errors({"data": [{"status": "pending_auth"}]}))
