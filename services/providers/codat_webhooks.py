"""Verifying Codat's webhooks (Svix, following Standard Webhooks) with ``standardwebhooks``.

The library checks ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` against every entry of
the space-separated signature header (so rotated secrets work) and refuses timestamps more than
5 minutes old or ahead: a tolerance fixed in the library (``standardwebhooks`` 1.1.0,
``Webhook.__verify_timestamp``), not a parameter.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError

from services.core.errors import ValidationFailed
from services.providers.base import WebhookEvent, WebhookMalformed, WebhookVerificationFailed
from services.providers.codat_mapping import parse_webhook

_PARTS = ("id", "timestamp", "signature")


def _usable(entry: str) -> bool:
    """A ``version,base64`` entry the library can read (it stops at the first bad one)."""
    version, _, signature = entry.partition(",")
    if not version or not signature or "," in signature:
        return False
    try:
        base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def standard_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``webhook-*`` headers from either ``webhook-*`` or Svix's ``svix-*`` names."""
    lowered = {key.lower(): value for key, value in headers.items()}
    found = {}
    for part in _PARTS:
        value = lowered.get(f"webhook-{part}") or lowered.get(f"svix-{part}")
        if value:
            found[f"webhook-{part}"] = value
    if "webhook-signature" in found:
        found["webhook-signature"] = " ".join(
            entry for entry in found["webhook-signature"].split() if _usable(entry))
    return found


def verify_signature(raw_body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """Checks the signature and timestamp of a raw body; ``WebhookVerificationFailed`` if
    they do not verify. A malformed ``secret`` raises ``ValueError`` (a configuration error)."""
    try:
        webhook = Webhook(secret)
    except (EmptyWebhookSecretError, ValueError) as exc:
        raise ValueError("the webhook secret is not a whsec_<base64> secret") from exc
    normalised = standard_headers(headers)
    missing = [f"webhook-{part}" for part in _PARTS if not normalised.get(f"webhook-{part}")]
    if missing:
        raise WebhookVerificationFailed(f"Missing or unusable headers: {', '.join(missing)}")
    try:
        webhook.verify(raw_body, normalised, json_parse=False)
    except (WebhookVerificationError, ValueError) as exc:  # ValueError: body not UTF-8
        raise WebhookVerificationFailed(str(exc) or type(exc).__name__) from exc


def verify_webhook(raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """The verified event of a raw webhook body: ``WebhookVerificationFailed`` when it does not
    verify (answer 401), ``WebhookMalformed`` when it verifies but is no Codat event (400)."""
    verify_signature(raw_body, headers, secret)
    try:
        return parse_webhook(raw_body)
    except ValidationFailed as exc:
        raise WebhookMalformed(f"Signed body is not a Codat webhook: {exc.message}") from exc
