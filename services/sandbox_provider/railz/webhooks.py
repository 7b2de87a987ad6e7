"""Railz webhooks: ``{"data": {...}, "requestId": …}`` signed with ``Railz-Signature:
t=<ms>,v=<hex HMAC-SHA256 of "<t>.<raw body>">``; a failed delivery is sent twice more, then
given up (Railz's rule). Delivery and the drop/duplicate faults are the Codat deliverer's."""
from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.webhooks import WebhookDeliverer

RETRIES = 2


def signature(secret: str, timestamp_ms: str, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp_ms.encode() + b"." + raw_body, hashlib.sha256).hexdigest()


def signature_header(secret: str, raw_body: bytes, timestamp_ms: int | None = None) -> str:
    t = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    return f"t={t},v={signature(secret, t, raw_body)}"


class RailzWebhookDeliverer(WebhookDeliverer):
    """The secret is used as it is: its UTF-8 bytes are the HMAC key."""

    def _make_signer(self, secret: str) -> str:
        return secret

    def _envelope(self, event_type: str, payload: dict) -> tuple[str, str, dict]:
        body = {"data": {"event": event_type, **payload}, "requestId": str(uuid.uuid4())}
        return body["requestId"], now_iso(), body

    def _headers(self, delivery, body: bytes) -> dict[str, str]:
        return {"content-type": "application/json",
                "Railz-Signature": signature_header(self._signer, body)}

    def _delays(self) -> tuple[float, ...]:
        return (0.0, *self._timing.webhook_backoff_s[:RETRIES])
