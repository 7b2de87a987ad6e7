"""The sandbox signs its Codat webhooks itself (one HMAC over bytes, the key decoded once):
exactly what the standardwebhooks library writes and verifies."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from services.sandbox_provider.webhooks import sign, signing_key

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize("secret", [SECRET, SECRET.removeprefix("whsec_"), "whsec_c2VjcmV0"])
def test_signature_is_the_libraries(secret):
    body = '{"id":"e1","eventType":"invoices.write.successful","payload":{"note":"Grüße"}}'
    moment = datetime(2026, 12, 2, 13, 0, 5, 900000, tzinfo=UTC)
    ours = sign(signing_key(secret), "msg_1", int(moment.timestamp()), body.encode())
    assert ours == Webhook(secret).sign("msg_1", moment, body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
               "webhook-signature": ""}
    headers["webhook-signature"] = sign(signing_key(secret), "msg_1", int(headers["webhook-timestamp"]),
                                        body.encode())
    assert Webhook(secret).verify(body, headers)["id"] == "e1"


def test_an_empty_secret_is_refused_as_the_library_refuses_it():
    with pytest.raises(EmptyWebhookSecretError):
        signing_key("whsec_")
