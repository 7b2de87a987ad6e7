"""Railz-Signature verification (NOTES §10.4's worked example), rotation, tolerance, and what
each kind of Railz webhook means for ledgersync."""
from __future__ import annotations

import json

import pytest

from services.core.errors import ValidationFailed, WebhookMalformed, WebhookVerificationFailed
from services.providers.base import ConnectionNotice, ReadNotice, WriteNotice
from services.providers.railz_webhooks import classify, read_notice, sign, verify_webhook

SECRET = "rz-webhook-secret-for-tests"
T = 1700000000123
RAW = (b'{"data":{"event":"push","connectionId":"CON-11111111-2222-3333-4444-555555555555","businessName":'
       b'"acme-ltd","serviceName":"xero","pushCommunicationId":"65f0c0ffee0123456789abcd","dataType":"invoices",'
       b'"requestedOn":"2023-11-14T22:13:10.000Z","completedOn":"2023-11-14T22:13:19.000Z","status":"success",'
       b'"responseCode":200,"sourceObjectIds":["INV-0042"]},"requestId":"a3b4fc83-3e24-41aa-ba99-13cab09b0b7a"}')
HEADER = {"Railz-Signature": f"t={T},v=55f5aa4a208c923ce6cce04b952c6c2320038fa1b7781ca8e7f0f0d29a03595b"}


def test_the_documented_example_verifies_and_reads_as_its_push():
    assert len(RAW) == 403 and sign(SECRET, str(T), RAW) == HEADER["Railz-Signature"][-64:]
    event = verify_webhook(RAW, HEADER, SECRET, now_ms=T + 1000)
    assert (event.id, event.event_type) == ("a3b4fc83-3e24-41aa-ba99-13cab09b0b7a", "push")
    assert event.payload["connectionUuid"] == "CON-11111111-2222-3333-4444-555555555555"


def test_a_changed_body_a_wrong_secret_or_a_stale_timestamp_is_refused():
    failed = RAW.replace(b'"status":"success"', b'"status":"failed"')
    assert sign(SECRET, str(T), failed) == "14e644dd9e1c9d92215b63fb26cef7fc7c06c49b317827fc8680349678ea8d28"
    for raw, headers, secret, now in ((failed, HEADER, SECRET, T), (RAW, HEADER, "other", T),
                                      (RAW, HEADER, SECRET, T + 5 * 60 * 1000 + 1), (RAW, {}, SECRET, T),
                                      (RAW, {"Railz-Signature": "v=abc"}, SECRET, T)):
        with pytest.raises(WebhookVerificationFailed):
            verify_webhook(raw, headers, secret, now_ms=now)


def test_any_of_several_secrets_verifies_while_one_is_rotated():
    assert verify_webhook(RAW, HEADER, f"new-secret, {SECRET}", now_ms=T).event_type == "push"
    assert verify_webhook(RAW, HEADER, ["new-secret", SECRET], now_ms=T).event_type == "push"


def test_a_signed_body_that_is_no_railz_event_is_malformed():
    raw = b'{"hello": "world"}'
    with pytest.raises(WebhookMalformed):
        verify_webhook(raw, {"Railz-Signature": f"t={T},v={sign(SECRET, str(T), raw)}"}, SECRET, now_ms=T)


def _body(**data) -> dict:
    return {"data": data, "requestId": "r-1"}


def test_both_spellings_of_the_connection_and_what_each_kind_means():
    auth = read_notice("auth", _body(event="auth", connectionUuid="CON-1", businessUuid="BIZ-1",
                                     businessName="e-1", serviceName="quickbooks"))
    assert isinstance(auth, ConnectionNotice) and (auth.change, auth.company_id) == ("connected", "BIZ-1")
    assert (auth.connection.id, auth.connection.platform) == ("CON-1", "quickbooks_online")
    revoked = read_notice("connectionStatus", _body(event="connectionStatus", connectionId="CON-1",
                                                    businessName="BIZ-1", newStatus="disconnected",
                                                    disconnectReason="authorizationRevoked"))
    assert (revoked.change, revoked.company_id, revoked.connection.id) == ("deauthorized", "BIZ-1", "CON-1")
    ours = read_notice("connectionStatus", _body(event="connectionStatus", connectionUUid="CON-1",
                                                 newStatus="disconnected", disconnectReason="disconnectedByCustomer"))
    assert ours.change == "disconnected"
    data = read_notice("data", _body(event="data", connectionId="CON-1", businessUuid="BIZ-1", requests=[
        {"request": "vendors", "status": "success"}, {"request": "inventory", "status": "empty"},
        {"request": "bills", "status": "failed"}]))
    assert isinstance(data, ReadNotice) and data.data_types == ["suppliers", "items"]
    assert data.failures == {"bills": "failed"}
    push = read_notice("push", json.loads(RAW))
    assert isinstance(push, WriteNotice) and (push.result.status, push.result.record_id) == ("success", "INV-0042")
    failed = read_notice("push", _body(event="push", connectionId="CON-1", pushCommunicationId="p", status="failed",
                                       responseCode=400, validation={"errors": [{"field": "lines", "message": "x"}]}))
    assert (failed.result.status, failed.result.error_message) == ("failed", "x")
    with pytest.raises(ValidationFailed):
        read_notice("push", _body(event="push", connectionId="CON-1"))


def test_kinds():
    assert [classify(k) for k in ("auth", "push", "data", "connectionStatus")] == ["handled"] * 4
    assert [classify(k) for k in ("login", "dataPerType", "customerRequest")] == ["ignored"] * 3
    assert classify("invoices.write.successful") == "unknown"
