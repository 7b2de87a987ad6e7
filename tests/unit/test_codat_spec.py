"""The Codat spec harness: accepts what the specs allow (their own examples, nullable fields set
to null), refuses what they do not, and routes each path to the spec that is current for it."""
from __future__ import annotations

import copy

import pytest
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests import codat_spec as spec

COMPANY = "0498e921-9b53-4396-a412-4f2f5983b0a2"
CONN = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd"


def example(name: str, template: str, method: str, status: str, label: str) -> dict:
    content = spec.load(name)["paths"][template][method]["responses"][status]["content"]
    return copy.deepcopy(content["application/json"]["examples"][label]["value"])


COMPANY_EXAMPLE = example("platform", "/companies", "post", "200", "With a tag")
CONNECTION_EXAMPLE = example("platform", "/companies/{companyId}/connections", "post", "200", "Connection")


def test_accepts_the_specs_own_examples():
    assert spec.validate_response("POST", "/companies", 200, COMPANY_EXAMPLE) == (
        "platform", "POST", "/companies", 200)
    checked = spec.validate_response("POST", f"/companies/{COMPANY}/connections", 200, CONNECTION_EXAMPLE)
    assert checked.template == "/companies/{companyId}/connections"


@pytest.mark.parametrize("change, path", [
    (lambda c: c.pop("redirect"), "$: 'redirect' is a required property"),
    (lambda c: c.update(id="not-a-uuid"), "$.id: 'not-a-uuid' is not a 'uuid'"),
    (lambda c: c.update(tags={"k": 5}), "$.tags.k: 5 is not of type 'string'")])
def test_refuses_a_wrong_company(change, path):
    body = copy.deepcopy(COMPANY_EXAMPLE)
    change(body)
    with pytest.raises(AssertionError) as caught:
        spec.validate_response("GET", f"/companies/{COMPANY}", 200, body)
    assert path in str(caught.value) and "Codat-Platform.json" in str(caught.value)


def test_lists_every_error_with_its_path():
    body = {**CONNECTION_EXAMPLE, "status": "Connected", "surprise": 1}
    del body["linkUrl"]
    with pytest.raises(AssertionError) as caught:
        spec.validate_response("GET", f"/companies/{COMPANY}/connections/{CONN}", 200, body)
    message = str(caught.value)
    assert ("$.status: 'Connected' is not one of "
            "['PendingAuth', 'Linked', 'Unlinked', 'Deauthorized']") in message
    assert "'linkUrl' is a required property" in message
    assert "Additional properties are not allowed ('surprise' was unexpected)" in message


def test_nullable_fields_accept_null_only_after_the_rewrite():
    body = {**CONNECTION_EXAMPLE, "lastSync": None, "connectionInfo": None, "dataConnectionErrors": None}
    spec.validate_response("GET", f"/companies/{COMPANY}/connections/{CONN}", 200, body)
    with pytest.raises(AssertionError, match=r"\$.lastSync: 5 is not"):
        spec.validate_response("GET", f"/companies/{COMPANY}/connections/{CONN}", 200,
                               {**body, "lastSync": 5})
    raw = spec._parse(spec.SPEC_DIR / spec.FILES["platform"])  # the quirk, on the file as published
    resource = Resource.from_contents(raw, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:raw", resource)
    strict = OAS31Validator({"$ref": "urn:raw#/components/schemas/Connection"}, registry=registry)
    assert not strict.is_valid(body)


def test_refs_through_nullable_nodes_still_resolve():
    """``#/components/schemas/Bill/allOf/0/properties/withholdingTax/items`` runs through a
    nullable array; the rewrite keeps it pointing at the item schema."""
    bill = {"supplierRef": {"id": "s1"}, "issueDate": "2024-01-01T00:00:00", "subTotal": 100,
            "taxAmount": 19, "totalAmount": 119, "status": "Open",
            "withholdingTax": [{"name": "WHT", "amount": 5}]}
    path = f"/companies/{COMPANY}/connections/{CONN}/push/bills"
    assert spec.validate_request("POST", path, bill).spec == "payables"
    with pytest.raises(AssertionError, match=r"\$.withholdingTax\[0\]: 'amount' is a required property"):
        spec.validate_request("POST", path, {**bill, "withholdingTax": [{"name": "WHT"}]})


@pytest.mark.parametrize("method, path, name", [
    ("GET", f"/companies/{COMPANY}/data/invoices", "lending"),
    ("GET", f"/companies/{COMPANY}/data/customers", "lending"),
    ("GET", f"/companies/{COMPANY}/data/accounts", "payables"),
    ("GET", f"/companies/{COMPANY}/data/taxRates", "payables"),
    ("GET", f"/companies/{COMPANY}/data/bills", "payables"),
    ("GET", f"/companies/{COMPANY}/data/items", "accounting2023"),
    ("POST", f"/companies/{COMPANY}/connections/{CONN}/push/invoices", "commerce"),
    ("POST", f"/companies/{COMPANY}/connections/{CONN}/push/customers", "commerce"),
    ("POST", f"/companies/{COMPANY}/connections/{CONN}/push/suppliers", "payables"),
    ("POST", f"/companies/{COMPANY}/connections/{CONN}/push/items", "accounting2023"),
    ("POST", f"/companies/{COMPANY}/data/all", "platform"),
    ("GET", f"/companies/{COMPANY}/push/{CONN}", "platform"),
    ("PATCH", f"/companies/{COMPANY}/connections/{CONN}", "platform"),
    ("GET", "/integrations?page=1&pageSize=100", "platform")])
def test_routes_each_path_to_its_current_spec(method, path, name):
    found, template, _ = spec.find_operation(method, path)
    assert found == name and template.startswith("/")


def test_unknown_paths_and_methods_fail():
    with pytest.raises(AssertionError, match="in none of the Codat specs"):
        spec.find_operation("GET", "/nowhere")
    with pytest.raises(AssertionError, match="in none of the Codat specs"):
        spec.find_operation("DELETE", "/integrations")


@pytest.mark.parametrize("method, path, message", [
    ("POST", f"/companies/{COMPANY}/data/queue/accounts?connectionId={CONN}", "path dataType"),
    ("GET", "/companies/abc/data/invoices", "'abc' is not a 'uuid'"),
    ("GET", f"/companies/{COMPANY}/data/invoices?page=0", "0 is less than the minimum of 1"),
    ("GET", f"/companies/{COMPANY}/data/invoices?pageSize=5001", "5001 is greater than the maximum"),
    ("GET", f"/companies/{COMPANY}/data/invoices?limit=5", "query parameter 'limit' is not in the spec")])
def test_refuses_bad_parameters(method, path, message):
    with pytest.raises(AssertionError, match=message):
        spec.validate_request(method, path)


def test_request_bodies_are_checked():
    path = f"/companies/{COMPANY}/connections/{CONN}"
    assert spec.validate_request("PATCH", path, {"status": "Unlinked"}).template.endswith("{connectionId}")
    with pytest.raises(AssertionError, match="'Gone' is not one of"):
        spec.validate_request("PATCH", path, {"status": "Gone"})
    with pytest.raises(AssertionError, match="takes no body"):
        spec.validate_request("GET", path, {"x": 1})
    with pytest.raises(AssertionError, match="'name' is a required property"):
        spec.validate_request("POST", "/companies", {"description": "no name"})
    with pytest.raises(AssertionError, match="does not match"):
        spec.validate_request("POST", "/companies", {"name": "Acme (UK)"})  # the name pattern


def test_statuses_and_empty_bodies():
    spec.validate_response("POST", f"/companies/{COMPANY}/data/all", 204, None)
    with pytest.raises(AssertionError, match="documents no body"):
        spec.validate_response("POST", f"/companies/{COMPANY}/data/all", 204, {"x": 1})
    with pytest.raises(AssertionError, match="status 418 is not documented"):
        spec.validate_response("GET", f"/companies/{COMPANY}", 418, None)
    error = {"statusCode": 409, "service": "PublicApi", "error": "Still syncing", "correlationId": "c",
             "validation": None, "canBeRetried": "Unknown", "detailedErrorCode": 0}
    assert spec.validate_response("GET", f"/companies/{COMPANY}/data/invoices", 409, error).spec == "lending"


def test_pending_push_operation_must_omit_completed_on():
    operation = {"companyId": COMPANY, "pushOperationKey": CONN, "dataConnectionKey": CONN,
                 "requestedOnUtc": "2024-01-01T00:00:00Z", "status": "Pending", "statusCode": 202}
    spec.validate_response("GET", f"/companies/{COMPANY}/push/{CONN}", 200, operation)
    with pytest.raises(AssertionError, match=r"\$.completedOnUtc: None is not of type 'string'"):
        spec.validate_response("GET", f"/companies/{COMPANY}/push/{CONN}", 200,
                               {**operation, "completedOnUtc": None})


def test_webhooks_validate_against_the_event_catalogue():
    hooks = spec.load("platform")["webhooks"]
    body = copy.deepcopy(hooks["connection.connected"]["post"]["requestBody"]["content"]
                         ["application/json"]["examples"]["Connection connected"]["value"])
    assert spec.validate_webhook(body).template == "connection.connected"
    write = {"id": CONN, "eventType": "invoices.write.successful", "generatedDate": "2024-01-01T00:00:00Z",
             "payload": {"id": CONN, "type": "Create", "status": "Success", "record": None}}
    assert spec.validate_webhook(write).template == "{dataType}.write.successful"
    with pytest.raises(AssertionError, match="'Done' is not one of"):
        spec.validate_webhook({**write, "payload": {**write["payload"], "status": "Done"}})
    with pytest.raises(AssertionError, match="not in Codat-Platform.json"):
        spec.validate_webhook({"eventType": "nothing.happened"})
