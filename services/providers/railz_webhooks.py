"""Verifying and reading Railz's webhooks. ``Railz-Signature: t=<ms>,v=<hex>`` where ``v`` is
the hex HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with the endpoint's signing secret (its
UTF-8 bytes, NOTES §10.4); several secrets may be configured while one is rotated. Railz
states no timestamp tolerance: we allow 5 minutes either way, in milliseconds. Each secret is
keyed once (an HMAC copied per delivery), the setting split once."""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from multidict import CIMultiDict, CIMultiDictProxy

from services.core.errors import ValidationFailed, WebhookMalformed, WebhookVerificationFailed
from services.providers.base import ConnectionNotice, ReadNotice, WebhookEvent, WebhookNotice, WriteNotice
from services.providers.railz_mapping import PORT_TYPES, to_connection, to_push_result

HEADER = "railz-signature"
TOLERANCE_MS = 5 * 60 * 1000
CONNECTION_FIELDS = ("connectionUuid", "connectionId", "connectionUUid")  # the docs spell it all three ways


def sign(secret: str, timestamp_ms: str, raw_body: bytes) -> str:
    mac = _keyed(secret).copy()
    mac.update(b"%s.%s" % (timestamp_ms.encode(), raw_body))
    return mac.hexdigest()


@functools.lru_cache(maxsize=16)
def _keyed(secret: str) -> hmac.HMAC:
    """HMAC-SHA256 keyed with the secret once; each delivery copies it."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


@functools.lru_cache(maxsize=8)
def _secrets(setting: str) -> tuple[str, ...]:
    """The accepted secrets of a comma-separated setting, read once."""
    return tuple(s for s in (part.strip() for part in setting.split(",")) if s)


def _parts(header: str) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key.strip(), []).append(value.strip())
    return parts


def verify_signature(raw_body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *,
                     tolerance_ms: int = TOLERANCE_MS, now_ms: int | None = None) -> None:
    """``WebhookVerificationFailed`` unless one ``v`` matches one of ``secrets`` within the
    timestamp tolerance."""
    if not secrets:
        raise ValueError("no Railz webhook secret is configured")
    header = headers.get(HEADER) if isinstance(headers, (CIMultiDictProxy, CIMultiDict)) else next(
        (v for k, v in headers.items() if k.lower() == HEADER), None)
    if not header:
        raise WebhookVerificationFailed("Missing header: Railz-Signature")
    parts = _parts(header)
    stamp, signatures = (parts.get("t") or [""])[0], parts.get("v") or []
    if not stamp.isdigit() or not signatures:
        raise WebhookVerificationFailed("Railz-Signature must be t=<milliseconds>,v=<hex signature>")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if abs(now_ms - int(stamp)) > tolerance_ms:
        raise WebhookVerificationFailed(f"Railz-Signature timestamp {stamp} is outside the tolerance")
    expected = [sign(secret, stamp, raw_body) for secret in secrets]
    if not any(hmac.compare_digest(e, v.lower()) for e in expected for v in signatures):
        raise WebhookVerificationFailed("Railz-Signature does not match the body")


def connection_of(data: Mapping) -> str | None:
    return next((data[f] for f in CONNECTION_FIELDS if isinstance(data.get(f), str) and data[f]), None)


def parse_webhook(body: dict | bytes | str) -> WebhookEvent:
    """A Railz delivery (``{"data": {...}, "requestId"}``, or the bare ``data`` object some
    pages show) as an event; its id is ``requestId``, else a hash of the body. The payload is
    the ``data`` object with the connection id also under ``connectionUuid``."""
    try:
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body, sort_keys=True)
        envelope = json.loads(raw) if isinstance(body, (bytes, str)) else body
        data = envelope["data"] if isinstance(envelope.get("data"), dict) else envelope
        event_type = data["event"]
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("the event name is empty")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValidationFailed(f"Not a Railz webhook body: {exc!r}") from exc
    delivery_id = envelope.get("requestId") if isinstance(envelope.get("requestId"), str) else None
    digest = hashlib.sha256(raw.encode() if isinstance(raw, str) else raw).hexdigest()
    payload = dict(data)
    if connection := connection_of(data):
        payload["connectionUuid"] = connection
    return WebhookEvent(id=delivery_id or f"sha256:{digest}", event_type=event_type, company_id=business_of(data),
                        payload=payload, generated_at=_when(data))


def _when(data: Mapping) -> datetime | None:
    for field in ("effectiveOn", "completedOn", "requestedOn"):
        try:
            moment = datetime.fromisoformat(str(data[field]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def verify_webhook(raw_body: bytes, headers: Mapping[str, str], secrets: Sequence[str] | str, *,
                   now_ms: int | None = None) -> WebhookEvent:
    """The verified event of a raw body: ``WebhookVerificationFailed`` (401) when it does not
    verify, ``WebhookMalformed`` (400) when it verifies but is no Railz event."""
    accepted = _secrets(secrets) if isinstance(secrets, str) else [s for s in secrets if s]
    verify_signature(raw_body, headers, accepted, now_ms=now_ms)
    try:
        return parse_webhook(raw_body)
    except ValidationFailed as exc:
        raise WebhookMalformed(f"Signed body is not a Railz webhook: {exc.message}") from exc


HANDLED = ("auth", "connectionStatus", "data", "push")
IGNORED = ("login", "dataPerType", "batchPush", "delete", "customerRequest")


def classify(event_type: str) -> str:
    """``login`` (the user opened the login page) changes nothing until ``auth``; ``dataPerType``
    precedes the ``data`` of the same sync; batch pushes, deletes and GDPR requests (Shopify)
    are not ours."""
    if event_type in HANDLED:
        return "handled"
    return "ignored" if event_type in IGNORED else "unknown"


def business_of(data: Mapping) -> str | None:
    """The business: ``businessUuid``, else a ``businessName`` holding a ``BIZ-…`` (older pages)."""
    for value in (data.get("businessUuid"), data.get("businessName")):
        if isinstance(value, str) and value.startswith("BIZ-"):
            return value
    return None


def read_notice(event_type: str, body: dict) -> WebhookNotice:
    """What a stored Railz delivery of a handled kind means (``ValidationFailed`` when it lacks
    what its kind must carry)."""
    event = parse_webhook(body)
    data = event.payload
    if event_type == "push":
        if not data.get("pushCommunicationId"):
            raise ValidationFailed(f"push webhook {event.id} carries no pushCommunicationId")
        return WriteNotice(to_push_result(data))
    if event_type == "data":
        names = [(r.get("request"), r.get("status")) for r in data.get("requests") or [] if isinstance(r, dict)]
        ok = [PORT_TYPES.get(n, "") for n, s in names if s in ("success", "empty")]
        return ReadNotice(event.company_id, list(dict.fromkeys(n for n in ok if n)),
                          {PORT_TYPES.get(n, str(n)): str(s) for n, s in names if s not in ("success", "empty")})
    if not data.get("connectionUuid"):
        raise ValidationFailed(f"{event_type} webhook {event.id} carries no connection id")
    status = "active" if event_type == "auth" else data.get("newStatus")
    connection = to_connection({**data, "status": status}, event.company_id)
    change = connection.status if connection.status in ("connected", "disconnected", "deauthorized") else "failed"
    return ConnectionNotice(event.company_id, connection, change)
