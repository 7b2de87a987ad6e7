"""Domain events in and events out: parsing, tolerance, strictness and the reasons given."""
from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timezone

import pytest

from contracts.errors import ContractViolation
from contracts.events import (
    DOMAIN_EVENT_TYPES,
    OUTBOUND_EVENT_TYPES,
    CloudEvent,
    CreditNoteData,
    PayableData,
    ReceivableData,
    load_object,
    make_event,
    parse_domain_event,
)

ENTITY = "9d2b4c8f-2087-4738-ba91-7359683c49a4"
NOW = "2026-11-20T10:00:00Z"
RECEIVABLE = {
    "id": "3f9d5a56-1c1e-4d1b-9e55-5b0f4a0d7a11", "document_id": "INV-0042",
    "counterpart_id": "0b7a4f3e-8f5a-4d7e-9a41-2d4f3c5b6a70", "currency": "EUR",
    "issue_date": "2026-11-20", "due_date": "2026-12-20", "issued_at": NOW,
    "line_items": [{"product_id": "6a1c2e0f-5b6d-4e8f-9a0b-1c2d3e4f5a6b", "name": "Consulting",
                    "quantity": 1.5, "unit_price": 10000, "vat_rate_value": 1900,
                    "vat_rate_id": "vat-19", "ledger_account_id": "4000"}],
    "subtotal": 15000, "total_vat_amount": 2850, "total_amount": 17850,
    "memo": "Thanks", "updated_at": NOW,
}
PAYABLE = {
    "id": "7c1d0e2f-3a4b-4c5d-8e9f-0a1b2c3d4e5f", "document_id": "BILL-7",
    "counterpart_id": "0b7a4f3e-8f5a-4d7e-9a41-2d4f3c5b6a70", "currency": "EUR",
    "issued_at": "2026-11-19", "due_date": "2026-12-19", "status": "waiting_to_be_paid",
    "line_items": [{"name": "Paper", "quantity": 10, "unit_price": 250,
                    "tax_rate_ref_id": "tax-1", "ledger_account_id": "6000"}],
    "subtotal": 2500, "total_vat_amount": 475, "total_amount": 2975, "updated_at": NOW,
}
EXAMPLES = {
    "entity.created": {"id": ENTITY, "partner_id": "a1b2c3d4-0000-4000-8000-000000000001",
                       "name": "Acme GmbH", "base_currency": "EUR", "updated_at": NOW,
                       "settings": {"accounting": {"ledger_account_ids": {"payments": "1200"}}}},
    "entity.updated": {"id": ENTITY, "partner_id": "a1b2c3d4-0000-4000-8000-000000000001",
                       "name": "Acme GmbH", "updated_at": NOW},
    "counterpart.created": {
        "id": "0b7a4f3e-8f5a-4d7e-9a41-2d4f3c5b6a70", "type": "organization", "name": "Globex",
        "is_customer": True, "is_vendor": False, "email": "ap@globex.example",
        "address": {"country": "DE", "city": "Berlin", "postal_code": "10115",
                    "line1": "Invalidenstr. 1", "line2": None}, "updated_at": NOW},
    "counterpart.updated": {"id": "0b7a4f3e-8f5a-4d7e-9a41-2d4f3c5b6a70", "type": "individual",
                            "name": "Jane Roe", "is_customer": False, "is_vendor": True,
                            "updated_at": "2026-11-20T11:00:00+01:00"},
    "product.created": {"id": "6a1c2e0f-5b6d-4e8f-9a0b-1c2d3e4f5a6b", "name": "Consulting",
                        "type": "service", "price": {"value": 10000, "currency": "EUR"},
                        "measure_unit": "hour", "ledger_account_id": "4000", "updated_at": NOW},
    "product.updated": {"id": "6a1c2e0f-5b6d-4e8f-9a0b-1c2d3e4f5a6b", "name": "Consulting",
                        "updated_at": NOW},
    "receivable.issued": RECEIVABLE,
    "credit_note.issued": {**RECEIVABLE, "id": "5e4d3c2b-1a09-4876-9543-210fedcba987",
                           "document_id": "CN-1", "due_date": None,
                           "based_on": RECEIVABLE["id"]},
    "payment_record.created": {"id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                               "object": {"type": "receivable", "id": RECEIVABLE["id"]},
                               "amount": 17850, "currency": "EUR", "paid_at": NOW},
    "payable.issued": PAYABLE,
    "payable.canceled": {**PAYABLE, "status": "canceled", "line_items": []},
}


def envelope(event_type: str, data: dict | None = None, **overrides) -> dict:
    event = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "test-service",
             "type": event_type, "time": NOW, "entityid": ENTITY,
             "datacontenttype": "application/json",
             "data": copy.deepcopy(EXAMPLES[event_type] if data is None else data)}
    event.update(overrides)
    return event


def raw(event: dict) -> bytes:
    return json.dumps(event).encode()


def violation(body: bytes | str, routing_key: str | None = None) -> ContractViolation:
    with pytest.raises(ContractViolation) as caught:
        parse_domain_event(body, routing_key)
    return caught.value


def test_every_domain_event_type_has_an_example():
    assert set(EXAMPLES) == set(DOMAIN_EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(DOMAIN_EVENT_TYPES))
def test_each_domain_event_parses_from_a_realistic_example(event_type):
    event = parse_domain_event(raw(envelope(event_type)), routing_key=event_type)
    assert isinstance(event, CloudEvent)
    assert isinstance(event.data, DOMAIN_EVENT_TYPES[event_type])
    assert event.type == event_type and str(event.entityid) == ENTITY
    assert event.time == datetime(2026, 11, 20, 10, tzinfo=timezone.utc)


def test_parsed_values_are_typed():
    event = parse_domain_event(raw(envelope("receivable.issued")))
    data: ReceivableData = event.data
    assert data.line_items[0].unit_price == 10000 and data.line_items[0].quantity == 1.5
    assert data.issue_date.isoformat() == "2026-11-20"
    credit = parse_domain_event(raw(envelope("credit_note.issued"))).data
    assert isinstance(credit, CreditNoteData) and str(credit.based_on) == RECEIVABLE["id"]


def test_offsets_are_normalised_to_utc():
    data = parse_domain_event(raw(envelope("counterpart.updated"))).data
    assert data.updated_at == datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    assert data.updated_at.utcoffset().total_seconds() == 0


def test_payable_dates_accept_a_date_time():
    data = {**PAYABLE, "issued_at": "2026-11-19T08:30:00Z"}
    payable: PayableData = parse_domain_event(raw(envelope("payable.issued", data))).data
    assert payable.issued_at.isoformat() == "2026-11-19"


@pytest.mark.parametrize("path, value", [
    (("subtotal",), 150.5), (("total_amount",), "17850"), (("total_amount",), 17850.0),
    (("line_items", 0, "unit_price"), 100.5), (("line_items", 0, "vat_rate_value"), 19.0),
])
def test_money_that_is_not_an_integer_is_rejected(path, value):
    data = copy.deepcopy(RECEIVABLE)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    error = violation(raw(envelope("receivable.issued", data)))
    assert "data." + ".".join(map(str, path)) in error.reason
    assert "receivable.issued" in error.reason


def test_payment_amount_float_is_rejected():
    data = {**EXAMPLES["payment_record.created"], "amount": 10.5}
    assert "data.amount" in violation(raw(envelope("payment_record.created", data))).reason


@pytest.mark.parametrize("where", ["envelope", "data"])
def test_naive_datetimes_are_rejected(where):
    if where == "envelope":
        event = envelope("receivable.issued", time="2026-11-20T10:00:00")
        expected = "time"
    else:
        event = envelope("receivable.issued", {**RECEIVABLE, "issued_at": "2026-11-20T10:00:00"})
        expected = "data.issued_at"
    error = violation(raw(event))
    assert expected in error.reason and "timezone" in error.reason


def test_unknown_type_is_a_violation_that_names_it():
    error = violation(raw(envelope("receivable.issued", type="receivable.exploded")))
    assert "unknown event type" in error.reason and "'receivable.exploded'" in error.reason


def test_routing_key_must_match_type():
    error = violation(raw(envelope("receivable.issued")), routing_key="payable.issued")
    assert "routing key 'payable.issued'" in error.reason and "'receivable.issued'" in error.reason


@pytest.mark.parametrize("body, words", [
    (b"{not json", "not JSON"), (b"\xff\xfe", "not JSON"), (b"[1, 2]", "not a JSON object"),
    (b'"receivable.issued"', "not a JSON object"),
])
def test_bad_json_is_a_violation(body, words):
    assert words in violation(body).reason


@pytest.mark.parametrize("field", ["specversion", "id", "source", "type", "time", "entityid",
                                   "data"])
def test_envelope_fields_are_required(field):
    event = envelope("receivable.issued")
    del event[field]
    error = violation(raw(event))
    assert "envelope" in error.reason and field in error.reason
    assert error.errors and error.errors[0]["loc"] == [field]


def test_envelope_values_are_checked():
    for overrides, word in [({"specversion": "0.3"}, "specversion"), ({"id": ""}, "id"),
                            ({"entityid": "not-a-uuid"}, "entityid")]:
        assert word in violation(raw(envelope("receivable.issued", **overrides))).reason


def test_missing_required_data_fields_are_listed_with_their_location():
    data = copy.deepcopy(RECEIVABLE)
    del data["counterpart_id"], data["line_items"][0]["unit_price"]
    error = violation(raw(envelope("receivable.issued", data)))
    assert "data.counterpart_id: Field required" in error.reason
    assert "data.line_items.0.unit_price: Field required" in error.reason
    assert {tuple(e["loc"]) for e in error.errors} >= {("data", "counterpart_id")}
    json.dumps(error.errors)  # JSON-safe, fit for dead-letter headers


def test_unknown_fields_are_ignored_in_data_and_envelope():
    data = {**RECEIVABLE, "brand_new_field": {"x": 1},
            "line_items": [{**RECEIVABLE["line_items"][0], "discount": 5}]}
    event = parse_domain_event(raw(envelope("receivable.issued", data, traceparent="00-ab")))
    assert not hasattr(event.data, "brand_new_field")
    assert "brand_new_field" not in event.data.model_dump()


def test_currency_must_be_three_upper_case_letters():
    assert "data.currency" in violation(
        raw(envelope("receivable.issued", {**RECEIVABLE, "currency": "eur"}))).reason


def test_entity_events_must_be_about_their_entity():
    data = {**EXAMPLES["entity.updated"], "id": str(uuid.uuid4())}
    assert "entityid" in violation(raw(envelope("entity.updated", data))).reason


def test_make_event_builds_a_valid_outbound_event():
    record = {"id": str(uuid.uuid4()), "created_at": NOW, "updated_at": NOW,
              "last_pulled_at": NOW, "object_id": RECEIVABLE["id"], "object_type": "receivable",
              "sync_status": "done", "errors": None, "platform": "xero",
              "platform_object_id": "INV-X-1", "provider": "codat", "previous_status": "pending"}
    event = make_event("synced_record.status_changed", record, entity_id=ENTITY)
    assert event["source"] == "ledgersync" and event["specversion"] == "1.0"
    assert event["entityid"] == ENTITY and event["time"].endswith("Z")
    assert uuid.UUID(event["id"]) and event["data"]["previous_status"] == "pending"
    json.dumps(event)
    again = make_event("synced_record.status_changed", record, entity_id=ENTITY)
    assert again["id"] != event["id"]


def test_make_event_accepts_models_and_round_trips_domain_events():
    data = ReceivableData.model_validate(RECEIVABLE)
    event = make_event("receivable.issued", data, entity_id=uuid.UUID(ENTITY), source="tests")
    parsed = parse_domain_event(json.dumps(event), routing_key="receivable.issued")
    assert parsed.data == data and parsed.source == "tests"


def test_make_event_rejects_unknown_types_and_bad_data():
    with pytest.raises(ContractViolation, match="unknown event type"):
        make_event("nothing.happened", {}, entity_id=ENTITY)
    with pytest.raises(ContractViolation, match="data.synced_record_id"):
        make_event("product.discovered", {"name": "Widget", "provider_object_id": "it-1",
                                          "connection_id": str(uuid.uuid4())}, entity_id=ENTITY)


def test_product_discovered_and_connection_events():
    discovered = make_event("product.discovered", {
        "synced_record_id": str(uuid.uuid4()), "connection_id": str(uuid.uuid4()),
        "product_id": str(uuid.uuid4()), "name": "Widget", "description": "A widget", "type": "product",
        "price": {"value": 1999, "currency": "GBP"}, "ledger_account_id": "4000",
        "provider_object_id": "item-1"}, entity_id=ENTITY)
    assert discovered["data"]["price"] == {"value": 1999, "currency": "GBP"}
    changed = make_event("accounting_connection.status_changed", {
        "id": str(uuid.uuid4()), "created_at": NOW, "updated_at": NOW, "status": "connected",
        "connection_url": "https://link.example/c/1", "platform": "xero",
        "previous_status": "pending_auth"}, entity_id=ENTITY)
    assert changed["data"]["status"] == "connected"
    assert set(OUTBOUND_EVENT_TYPES) == {"accounting_connection.status_changed",
                                         "synced_record.status_changed", "product.discovered"}


def test_a_body_decoded_once_is_validated_as_the_raw_one_and_refused_alike():
    raw_body = raw(envelope("receivable.issued"))
    decoded = load_object(raw_body)
    assert parse_domain_event(decoded, routing_key="receivable.issued") == parse_domain_event(
        raw_body, routing_key="receivable.issued")
    for bad, reason in ((b"[1, 2]", "not a JSON object"), (b"{nope", "not JSON")):
        with pytest.raises(ContractViolation, match=reason):
            load_object(bad)
    with pytest.raises(ContractViolation, match="does not match"):
        parse_domain_event(decoded, routing_key="credit_note.issued")
