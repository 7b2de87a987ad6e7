"""Bad input through the real running API: every row answers a 4xx that says what is wrong, in
the documented error shape, with a status the OpenAPI document lists for that operation."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

import contracts
from contracts.api import ErrorBody, ValidationErrorBody, route
from contracts.openapi import build_openapi
from tests.support import client, flows

JSON = "application/json"
TOKEN = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
RANDOM = str(uuid.uuid4())

# (operation id, path values, query, body bytes or None, content type, headers to change,
#  status, a fragment the answer must contain)
CASES = [
    ("post_auth_token", {}, "", b"null", JSON, {}, 422, "Input should be a JSON object, not null"),
    ("post_auth_revoke", {}, "", b"null", JSON, {}, 422, "Input should be a JSON object, not null"),
    ("post_auth_token", {}, "", b"[1, 2]", JSON, {}, 422, "not list"),
    ("post_auth_token", {}, "", b'"text"', JSON, {}, 422, "not string"),
    ("post_auth_token", {}, "", b"17", JSON, {}, 422, "not int"),
    ("post_auth_token", {}, "", b'{"grant_type": ', JSON, {}, 400, "not valid JSON"),
    ("post_auth_token", {}, "", b'{"a": NaN}', JSON, {}, 400, "NaN is not a JSON number"),
    ("post_auth_token", {}, "", b"[" * 100_000, JSON, {}, 400, "nested too deeply"),
    ("post_auth_token", {}, "", b'{"a": ' + b"9" * 5000 + b"}", JSON, {}, 400, "digits"),
    ("post_auth_token", {}, "", b'{"a": "\xff"}', JSON, {}, 400, "not UTF-8"),
    ("post_auth_token", {}, "", b"", JSON, {}, 422, '"missing"'),
    ("post_auth_token", {}, "", json.dumps(TOKEN).encode(), "text/plain", {}, 415, "application/json"),
    ("post_auth_token", {}, "", json.dumps(TOKEN).encode(), None, {}, 415, "missing"),
    ("post_auth_token", {}, "", json.dumps({**TOKEN, "client_id": "a\x00b"}).encode(), JSON, {}, 422,
     "NUL characters are not allowed"),
    ("post_auth_token", {}, "", json.dumps({**TOKEN, "grant_type": "password"}).encode(), JSON, {}, 422,
     "grant_type"),
    ("get_accounting_receivables", {}, "offset=1037229464913152743344150627221504&limit=161", None, None,
     {}, 422, '["query", "offset"]'),
    ("get_accounting_payables", {}, "offset=1037229464913152743344150627221504", None, None, {}, 422,
     "less than or equal to 2147483647"),
    ("get_accounting_payables", {}, "limit=0", None, None, {}, 422, '["query", "limit"]'),
    ("get_accounting_payables", {}, "limit=many", None, None, {}, 422, "valid integer"),
    ("get_accounting_synced_records", {}, "object_type=spaceship", None, None, {}, 422,
     '["query", "object_type"]'),
    ("get_accounting_synced_records", {}, "", None, None, {}, 422, '"missing"'),
    ("get_accounting_synced_records", {}, "object_type=receivable&created_at__gt=0001-01-01T00:00:00%2B01:00",
     None, None, {}, 422, "out of range once converted to UTC"),
    ("get_accounting_synced_records", {}, "object_type=receivable&object_id__in=zz", None, None, {}, 422,
     "valid UUID"),
    ("get_accounting_synced_records", {}, "object_type=receivable&limit=99999999999999999999999", None, None,
     {}, 422, '["query", "limit"]'),
    ("get_accounting_tax_rates", {}, "pagination_token=made-up", None, None, {}, 422,
     '["query", "pagination_token"]'),
    ("get_ledger_accounts", {}, "pagination_token=a.b", None, None, {}, 422, "Invalid pagination token"),
    ("get_accounting_connections_id", {"connection_id": "not-a-uuid"}, "", None, None, {}, 422,
     '["path", "connection_id"]'),
    ("get_accounting_synced_records_id", {"synced_record_id": "123"}, "", None, None, {}, 422,
     '["path", "synced_record_id"]'),
    ("get_accounting_receivables_id", {"invoice_id": "a%00b"}, "", None, None, {}, 422,
     '["path", "invoice_id"]'),
    ("get_accounting_receivables_id", {"invoice_id": "inv-404"}, "", None, None, {}, 404, "Receivable not found"),
    ("post_accounting_connections_id_data_pulls", {"connection_id": RANDOM}, "resource_type=a%00", None, None,
     {}, 422, '["query", "resource_type"]'),
    ("post_accounting_connections_id_sync", {"connection_id": RANDOM}, "", None, None, {}, 404,
     "Accounting connection not found"),
    ("get_accounting_connections", {}, "", None, None, {"X-Monite-Entity-Id": "zz"}, 422,
     '["header", "x-monite-entity-id"]'),
    ("get_accounting_connections", {}, "", None, None, {"X-Monite-Entity-Id": RANDOM}, 404, "Entity not found"),
    ("get_accounting_connections", {}, "", None, None, {"X-Monite-Version": ""}, 422,
     '["header", "x-monite-version"]'),
    ("get_accounting_connections", {}, "", None, None, {"Authorization": "Bearer nope"}, 401, "invalid"),
    ("post_accounting_connections", {}, "", b'{"platform": "sap"}', JSON, {}, 422, '["body", "platform"]'),
    ("post_accounting_connections", {}, "", b"[]", JSON, {}, 422, "JSON object"),
    ("patch_entities_id_settings", {"entity_id": "zz"}, "", b"{}", JSON, {}, 422, '["path", "entity_id"]'),
    ("patch_entities_id_settings", {}, "", b'{"language": "de", "vat_mode": "exclusive"}', JSON, {}, 422,
     "ledgersync serves only the `accounting` part of entity settings; not stored, so refused: language, vat_mode"),
    ("patch_entities_id_settings", {}, "", b'{"accounting": {"ledger_account_ids": {"payments": 5}}}', JSON,
     {}, 422, '["body", "accounting", "ledger_account_ids", "payments"]'),
    ("patch_entities_id_settings", {}, "", b"null", JSON, {}, 422, "JSON object"),
]


@pytest.fixture(scope="module")
def entity(system, partner, access_token) -> str:
    return flows.register_entity(system, partner, access_token, "Bad Input GmbH")[0]


def _documented(operation_id: str) -> set[str]:
    r = route(operation_id)
    return set(build_openapi()["paths"][r.path][r.method.lower()]["responses"])


@pytest.mark.parametrize("operation_id, values, query, body, content_type, headers, status, fragment", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_gets_a_documented_4xx_that_says_why(system, access_token, entity, operation_id, values,
                                                       query, body, content_type, headers, status, fragment):
    r = route(operation_id)
    path = r.path
    for name in r.path_params:
        path = path.replace("{" + name + "}", values.get(name, entity))
    sent = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION,
            "X-Monite-Entity-Id": entity, **headers}
    if content_type:
        sent["Content-Type"] = content_type
    answer = httpx.request(r.method, f"{system.api_url}{path}" + (f"?{query}" if query else ""),
                           headers={k: v for k, v in sent.items() if v}, content=body)
    assert answer.status_code == status, answer.text
    assert str(status) in _documented(operation_id)
    shape: type[BaseModel] = ValidationErrorBody if status == 422 else ErrorBody
    shape.model_validate(answer.json())
    assert fragment in json.dumps(answer.json()), answer.text


def test_settings_keep_the_accounting_part_and_accept_null_others(system, access_token, entity):
    headers = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION}
    url = f"{system.api_url}/v1/entities/{entity}/settings"
    body = {"language": None, "accounting": {"ledger_account_ids": {"payments": "acc-1"}}}
    patched = httpx.patch(url, headers=headers, json=body)
    assert patched.status_code == 200, patched.text
    refused = httpx.patch(url, headers=headers, json={"accounting": {"tax_ids": {"deductions": "t"}},
                                                      "currency": {"default": "EUR"}})
    assert refused.status_code == 422 and "currency" in refused.text
    got = httpx.get(url, headers=headers).json()
    assert got == {"accounting": {"ledger_account_ids": {"payments": "acc-1", "products": None},
                                  "tax_ids": None}}  # the refused PATCH stored nothing


def test_the_served_openapi_document_is_the_committed_one(system):
    committed = json.loads((Path(contracts.__file__).parent / "openapi.json").read_text())
    assert httpx.get(f"{system.api_url}/openapi.json").json() == committed
