"""Codat webhook envelope and payloads (shapes from Codat's Webhooks spec examples)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from contracts.errors import ContractViolation
from contracts.webhooks import (
    ConnectionEventPayload,
    ReadCompletedPayload,
    WriteEventPayload,
    parse_webhook,
    parse_webhook_envelope,
    payload_model,
    write_data_type,
)

COMPANY = {"id": "70af3071-65d9-4ec3-b3cb-5283e8d55dac", "name": "Toft stores",
           "description": "cust_1", "links": {"portal": "https://app.codat.io/companies/70af"},
           "tags": {"entity_id": "9d2b4c8f-2087-4738-ba91-7359683c49a4"}}


def webhook(event_type: str, payload: dict) -> dict:
    return {"id": "bae71d36-ff47-420a-b4a6-f8c9ddf41140", "eventType": event_type,
            "generatedDate": "2023-05-03T10:00:23.000Z", "payload": payload}


WRITE = {"id": "a9367074-b5c3-42c4-9be4-be129f43577e", "type": "Create",
         "referenceCompany": COMPANY, "connectionId": "12571faf-0898-47e7-afdd-0fe9eb0a9bf5",
         "requestedOnDate": "2023-05-03T10:00:00.000Z",
         "completedOnDate": "2023-05-03T10:00:23.000Z", "status": "Success",
         "record": {"id": "bil_1Nispe2eZvKYlo2Cd31jOCgZ"}}
CONNECTION = {"referenceCompany": COMPANY, "connection": {
    "id": "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd", "integrationId": "bf083d72",
    "integrationKey": "gbol", "sourceId": "bdd831ce", "platformName": "Xero",
    "linkUrl": "https://link-api.codat.io/companies/70af/connections/ee2e/start",
    "status": "Linked", "lastSync": "2022-10-27T10:22:43.6464237Z",
    "created": "2022-10-27T09:53:29Z", "sourceType": "Accounting", "connectionInfo": None}}
READ = {"referenceCompany": COMPANY, "modifiedFromDate": "2023-05-03T09:00:00",
        "dataTypes": [{"connectionId": "ee2eb431", "dataType": "invoices", "recordsModified": True,
                       "status": "Complete", "issues": [{"type": "warning", "message": "slow",
                                                         "links": {"readMore": "https://x"}}]},
                      {"dataType": "taxRates", "status": "FetchError"}]}


@pytest.mark.parametrize("event_type", ["connection.connected", "connection.disconnected",
                                        "connection.failed", "connection.created",
                                        "connection.reconnected", "connection.deleted"])
def test_connection_events(event_type):
    kind, payload = parse_webhook(webhook(event_type, CONNECTION))
    assert kind == event_type and isinstance(payload, ConnectionEventPayload)
    assert payload.connection.status == "Linked" and payload.connection.integrationKey == "gbol"
    assert payload.referenceCompany.tags == {"entity_id": "9d2b4c8f-2087-4738-ba91-7359683c49a4"}


@pytest.mark.parametrize("event_type", ["invoices.write.successful", "bills.write.unsuccessful",
                                        "creditNotes.write.successful",
                                        "customers.write.unsuccessful"])
def test_write_events(event_type):
    kind, payload = parse_webhook(json.dumps(webhook(event_type, WRITE)).encode())
    assert kind == event_type and isinstance(payload, WriteEventPayload)
    assert payload.id == WRITE["id"] and payload.record.id == "bil_1Nispe2eZvKYlo2Cd31jOCgZ"
    assert payload.completedOnDate == datetime(2023, 5, 3, 10, 0, 23, tzinfo=timezone.utc)
    assert write_data_type(event_type) == event_type.split(".")[0]


def test_timed_out_write_without_record_or_completion():
    body = {**WRITE, "status": "TimedOut", "record": None}
    del body["completedOnDate"]
    _, payload = parse_webhook(webhook("invoices.write.unsuccessful", body))
    assert payload.status == "TimedOut" and payload.record is None


@pytest.mark.parametrize("event_type", ["read.completed", "read.completed.initial"])
def test_read_completed(event_type):
    _, payload = parse_webhook(webhook(event_type, READ))
    assert isinstance(payload, ReadCompletedPayload)
    assert [d.dataType for d in payload.dataTypes] == ["invoices", "taxRates"]
    assert payload.dataTypes[0].issues[0].message == "slow"
    assert payload.modifiedFromDate.tzinfo is not None  # unqualified → taken as UTC


def test_unknown_fields_are_ignored():
    body = webhook("invoices.write.successful", {**WRITE, "somethingNew": [1]})
    body["alsoNew"] = True
    assert parse_webhook(body)[1].id == WRITE["id"]


def test_unknown_event_type_is_a_violation():
    with pytest.raises(ContractViolation, match="unknown webhook event type 'company.created'"):
        parse_webhook(webhook("company.created", {}))
    assert payload_model("client.rateLimit.reached") is None
    assert write_data_type("read.completed") is None


@pytest.mark.parametrize("body, words", [
    (b"nope", "not JSON"), ([1], "not a JSON object"),
    ({"eventType": "read.completed", "payload": {}}, "envelope"),
])
def test_bad_bodies(body, words):
    with pytest.raises(ContractViolation, match=words):
        parse_webhook(body)


def test_invalid_payload_lists_fields():
    body = {**WRITE, "status": "Exploded"}
    del body["referenceCompany"]
    with pytest.raises(ContractViolation) as caught:
        parse_webhook(webhook("invoices.write.successful", body))
    assert "payload.status" in caught.value.reason
    assert "payload.referenceCompany: Field required" in caught.value.reason


def test_envelope_is_available_for_ids():
    envelope = parse_webhook_envelope(webhook("read.completed", READ))
    assert envelope.id == "bae71d36-ff47-420a-b4a6-f8c9ddf41140"
    assert envelope.payload["modifiedFromDate"] == READ["modifiedFromDate"]
