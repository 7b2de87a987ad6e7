"""Webhook verification as ``standardwebhooks`` does it: Codat's published test vector, the
5-minute tolerance, svix-* headers, rotated secrets, bodies that must be refused, and the same
answer as the library's own ``Webhook.verify`` on every case."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import webhooks as library

from multidict import CIMultiDict, CIMultiDictProxy

from services.core.errors import WebhookMalformed, WebhookVerificationFailed
from services.providers import codat_webhooks
from services.providers.codat_webhooks import standard_headers, verify_signature, verify_webhook

# reference/codat/NOTES.md §8, from Codat's docs
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
OTHER_SECRET = "whsec_" + "b3RoZXItc2VjcmV0LW9mLXRoaXJ0eS10d28tYnl0ZXM="


def pin_now(monkeypatch, epoch: float) -> None:
    """Our clock, and the library's (``datetime.now`` in its own module), at ``epoch``."""
    class Pinned(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(epoch, tz or UTC)
    monkeypatch.setattr(library, "datetime", Pinned)
    monkeypatch.setattr(codat_webhooks, "_clock", lambda: epoch)


def headers(signature: str = SIGNATURE, prefix: str = "webhook", timestamp: int = TIMESTAMP) -> dict:
    return {f"{prefix}-id": MSG_ID, f"{prefix}-timestamp": str(timestamp), f"{prefix}-signature": signature}


def sign(secret: str, body: bytes, msg_id: str = MSG_ID, timestamp: int = TIMESTAMP) -> str:
    return library.Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body.decode())


def test_codat_test_vector_verifies(monkeypatch):
    pin_now(monkeypatch, TIMESTAMP + 10)
    assert sign(SECRET, BODY) == SIGNATURE  # the library reproduces Codat's signature
    verify_signature(BODY, headers(), SECRET)


@pytest.mark.parametrize("prefix", ["webhook", "svix", "Webhook", "SVIX"])
def test_both_header_families_are_accepted(monkeypatch, prefix):
    pin_now(monkeypatch, TIMESTAMP)
    verify_signature(BODY, headers(prefix=prefix), SECRET)


@pytest.mark.parametrize("offset, ok", [(-299, True), (299, True), (-301, False), (301, False)])
def test_timestamp_tolerance_is_five_minutes(monkeypatch, offset, ok):
    pin_now(monkeypatch, TIMESTAMP - offset)  # now = timestamp + (-offset)
    if ok:
        verify_signature(BODY, headers(), SECRET)
    else:
        with pytest.raises(WebhookVerificationFailed, match="too (old|new)"):
            verify_signature(BODY, headers(), SECRET)


def test_live_clock_refuses_the_old_vector():
    with pytest.raises(WebhookVerificationFailed, match="too old"):
        verify_signature(BODY, headers(), SECRET)


@pytest.mark.parametrize("signature", [
    f"v1,{'A' * 44} {SIGNATURE}",  # the old secret's signature first, then the new one
    f"{SIGNATURE} v1,{'B' * 44}",
    f"v2,abc {SIGNATURE}",
    f"garbage v1,not-base64!! {SIGNATURE}",  # entries the library would choke on are dropped
    f"  {SIGNATURE}  "])
def test_any_matching_signature_verifies(monkeypatch, signature):
    pin_now(monkeypatch, TIMESTAMP)
    verify_signature(BODY, headers(signature), SECRET)


@pytest.mark.parametrize("body, hdrs, secret", [
    (BODY, headers(), OTHER_SECRET),
    (b'{"test": 2432232315}', headers(), SECRET),
    (BODY, headers(f"v1,{'A' * 44}"), SECRET),
    (BODY, headers("v2," + SIGNATURE[3:]), SECRET),
    (BODY, headers("garbage"), SECRET),
    (BODY, {k: v for k, v in headers().items() if k != "webhook-id"}, SECRET),
    (BODY, {}, SECRET),
    (BODY, headers(timestamp="yesterday"), SECRET),  # type: ignore[arg-type]
    (b"\xff\xfe", headers(), SECRET)])
def test_bad_deliveries_are_refused(monkeypatch, body, hdrs, secret):
    pin_now(monkeypatch, TIMESTAMP)
    with pytest.raises(WebhookVerificationFailed):
        verify_signature(body, hdrs, secret)


def test_standard_headers_prefer_webhook_names():
    mixed = {"svix-id": "a", "webhook-id": "b", "svix-timestamp": "1", "Webhook-Signature": "v1,AAAA x"}
    assert standard_headers(mixed) == {"webhook-id": "b", "webhook-timestamp": "1",
                                       "webhook-signature": "v1,AAAA"}


def test_verify_webhook_returns_the_event_and_refuses_signed_junk(monkeypatch):
    pin_now(monkeypatch, TIMESTAMP)
    envelope = json.dumps({"id": "743ec94a-8aa4-44bb-8bd4-e1855ee0e74b", "eventType": "read.completed",
                           "generatedDate": "2022-10-23T00:00:00.000Z",
                           "payload": {"referenceCompany": {"id": "c-1"}, "dataTypes": []}}).encode()
    event = verify_webhook(envelope, headers(sign(OTHER_SECRET, envelope)), OTHER_SECRET)
    assert (event.event_type, event.company_id) == ("read.completed", "c-1")
    with pytest.raises(WebhookMalformed, match="not a Codat webhook"):
        verify_webhook(BODY, headers(), SECRET)  # verifies, but is no Codat event
    with pytest.raises(WebhookVerificationFailed):
        verify_webhook(envelope, headers(sign(SECRET, envelope)), OTHER_SECRET)


def test_a_malformed_secret_is_a_configuration_error():
    with pytest.raises(ValueError):
        verify_signature(BODY, headers(), "whsec_")


def library_verdict(body: bytes, hdrs: dict, secret: str) -> bool:
    """What ``standardwebhooks`` itself says, given the usable entries (it stops at a bad one)."""
    try:
        library.Webhook(secret).verify(body, standard_headers(hdrs), json_parse=False)
    except (library.WebhookVerificationError, ValueError):
        return False
    return True


def our_verdict(body: bytes, hdrs: dict, secret: str) -> bool:
    try:
        verify_signature(body, hdrs, secret)
    except WebhookVerificationFailed:
        return False
    return True


@pytest.mark.parametrize("body, hdrs, secret", [
    (BODY, headers(), SECRET),
    (BODY, headers(prefix="svix"), SECRET),
    (BODY, headers(f"v1,{'A' * 44} {SIGNATURE}"), SECRET),
    (BODY, headers(f"v2,abc {SIGNATURE}"), SECRET),
    (BODY, headers(f"garbage v1,not-base64!! {SIGNATURE}"), SECRET),
    (BODY, headers(SIGNATURE, timestamp=TIMESTAMP + 299), SECRET),
    (BODY, headers(SIGNATURE, timestamp=TIMESTAMP - 301), SECRET),
    (BODY, {**headers(), "webhook-timestamp": f"{TIMESTAMP}.75"}, SECRET),  # both sign the whole seconds
    (BODY, {**headers(), "webhook-timestamp": "nan"}, SECRET),
    (BODY, {**headers(), "webhook-timestamp": "inf"}, SECRET),
    (BODY, headers(), OTHER_SECRET),
    (b'{"test": 2432232315}', headers(), SECRET),
    (BODY, headers("v2," + SIGNATURE[3:]), SECRET),
    (BODY, headers("v1," + SIGNATURE[3:].rstrip("=")), SECRET),  # unpadded: not base64 the library reads
    (b"\xff\xfe", headers(), SECRET),
    (BODY, headers(sign("whsec_" + SECRET[6:].rstrip("="), BODY)), "whsec_" + SECRET[6:].rstrip("=")),
    (BODY, headers(sign(SECRET[6:], BODY)), SECRET[6:]),  # the prefix is optional
])
def test_the_same_answer_as_the_library(monkeypatch, body, hdrs, secret):
    pin_now(monkeypatch, TIMESTAMP)
    assert our_verdict(body, hdrs, secret) == library_verdict(body, hdrs, secret)


def test_aiohttp_headers_are_read_case_insensitively_first_value_first(monkeypatch):
    pin_now(monkeypatch, TIMESTAMP)
    received = CIMultiDict([("Webhook-Id", MSG_ID), ("WEBHOOK-TIMESTAMP", str(TIMESTAMP)),
                            ("webhook-signature", SIGNATURE)])
    verify_signature(BODY, CIMultiDictProxy(received), SECRET)
    received.add("webhook-id", "another-id")  # the receiver stores the first: it is the one verified
    verify_signature(BODY, CIMultiDictProxy(received), SECRET)
    with pytest.raises(WebhookVerificationFailed):
        verify_signature(BODY, CIMultiDictProxy(CIMultiDict([("webhook-id", "another-id"), *received.items()])),
                         SECRET)
