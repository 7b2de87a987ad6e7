"""Codat's webhooks: verifying them (Svix, following Standard Webhooks), parsing their bodies,
and what each kind means (``read_notice``).

Verification is ``standardwebhooks``' (1.1.0) check, done here with ``hmac`` so that a delivery
costs one HMAC and no more: the secret is decoded and keyed once (not per delivery), the headers
are read once, no dates are made. It checks ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``
against every entry of the space-separated signature header (so rotated secrets work) and
refuses timestamps more than 5 minutes old or ahead (the library's fixed tolerance,
``Webhook.__verify_timestamp``). A unit test holds its answers to the library's.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from datetime import datetime

from multidict import CIMultiDict, CIMultiDictProxy

from services.core.errors import ValidationFailed, WebhookMalformed, WebhookVerificationFailed
from services.providers.base import (
    ConnectionNotice,
    ProviderConnection,
    PushResult,
    ReadNotice,
    WebhookDisposition,
    WebhookEvent,
    WebhookNotice,
    WriteNotice,
)
from services.providers.codat_mapping import PUSH_STATUS, data_type_path, to_connection

_PARTS = ("id", "timestamp", "signature")
_SECRET_PREFIX = "whsec_"
TOLERANCE_S = 5 * 60  # standardwebhooks 1.1.0's, fixed in the library (Webhook.__verify_timestamp)
# Kinds we act on; other well-formed Codat kinds are acknowledged and ignored.
HANDLED_PREFIXES = ("connection.", "read.completed")
HANDLED_SUFFIXES = (".write.successful", ".write.unsuccessful")
KNOWN_IGNORED = ("company.", "client.rateLimit.")
_clock = time.time  # the tests pin it


def _decoded(entry: str) -> tuple[str, bytes] | None:
    """A ``version,base64`` entry's version and signature bytes; None for one the library
    cannot read (it stops at the first bad one)."""
    version, _, signature = entry.partition(",")
    if not version or not signature or "," in signature:
        return None
    try:
        return version, base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None


def _usable(entry: str) -> bool:
    return _decoded(entry) is not None


def _lookup(headers: Mapping[str, str]):
    """``get`` by lower-case name: aiohttp's headers are case-insensitive already (their first
    value, as the receiver reads the webhook id); a plain mapping is lowered once."""
    if isinstance(headers, (CIMultiDictProxy, CIMultiDict)):
        return headers.get
    return {key.lower(): value for key, value in headers.items()}.get


def _found(get, part: str) -> str | None:
    return get(f"webhook-{part}") or get(f"svix-{part}") or None


def standard_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``webhook-*`` headers from either ``webhook-*`` or Svix's ``svix-*`` names."""
    get = _lookup(headers)
    found = {f"webhook-{part}": value for part in _PARTS if (value := _found(get, part))}
    if "webhook-signature" in found:
        found["webhook-signature"] = " ".join(
            entry for entry in found["webhook-signature"].split() if _usable(entry))
    return found


@functools.lru_cache(maxsize=8)
def _keyed(secret: str) -> hmac.HMAC:
    """HMAC-SHA256 keyed with the secret, decoded once (as the library decodes it: the
    ``whsec_`` prefix dropped, padding added); each delivery copies it."""
    text = secret[len(_SECRET_PREFIX):] if secret.startswith(_SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(text + "==")
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the webhook secret is not a whsec_<base64> secret") from exc
    if not key:
        raise ValueError("the webhook secret is not a whsec_<base64> secret")
    return hmac.new(key, digestmod=hashlib.sha256)


def verify_signature(raw_body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """Checks the signature and timestamp of a raw body as ``standardwebhooks`` does (a unit
    test holds the two to the same answers): HMAC-SHA256 of ``id.timestamp.body``, any ``v1``
    entry of the header matching, the timestamp within 5 minutes; ``WebhookVerificationFailed``
    if they do not verify. A malformed ``secret`` raises ``ValueError`` (a configuration error)."""
    keyed = _keyed(secret)
    get = _lookup(headers)
    msg_id, stamp, given = (_found(get, part) for part in _PARTS)
    entries = [e for e in map(_decoded, (given or "").split()) if e is not None]
    if not (msg_id and stamp and entries):
        missing = [f"webhook-{part}" for part, value in zip(_PARTS, (msg_id, stamp, entries), strict=True)
                   if not value]
        raise WebhookVerificationFailed(f"Missing or unusable headers: {', '.join(missing)}")
    body = raw_body.encode() if isinstance(raw_body, str) else raw_body
    try:
        body.decode()
        signed_id = msg_id.encode()
    except UnicodeError as exc:  # as the library: the body and the id must be text
        raise WebhookVerificationFailed(str(exc)) from exc
    try:
        moment = float(stamp)
    except ValueError:
        moment = math.nan
    if not math.isfinite(moment):
        raise WebhookVerificationFailed("Invalid Signature Headers")
    now = _clock()
    if moment < now - TOLERANCE_S:
        raise WebhookVerificationFailed("Message timestamp too old")
    if moment > now + TOLERANCE_S:
        raise WebhookVerificationFailed("Message timestamp too new")
    mac = keyed.copy()
    mac.update(b"%s.%d.%s" % (signed_id, math.floor(moment), body))
    expected = mac.digest()
    if not any(version == "v1" and hmac.compare_digest(expected, signature) for version, signature in entries):
        raise WebhookVerificationFailed("No matching signature found")


def verify_webhook(raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """The verified event of a raw webhook body: ``WebhookVerificationFailed`` when it does not
    verify (answer 401), ``WebhookMalformed`` when it verifies but is no Codat event (400)."""
    verify_signature(raw_body, headers, secret)
    try:
        return parse_webhook(raw_body)
    except ValidationFailed as exc:
        raise WebhookMalformed(f"Signed body is not a Codat webhook: {exc.message}") from exc


def _timestamp(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_webhook(body: dict | bytes | str) -> WebhookEvent:
    """A Codat webhook body (current envelope, or a legacy rule-style alert) as an event."""
    try:
        data = json.loads(body) if isinstance(body, (bytes, str)) else body
        if "eventType" in data:
            payload = data.get("payload") or {}
            company = (payload.get("referenceCompany") or {}).get("id")
            return WebhookEvent(id=str(data["id"]), event_type=data["eventType"], company_id=company,
                                payload=payload, generated_at=_timestamp(data.get("generatedDate")))
        return WebhookEvent(id=str(data["AlertId"]), event_type=data["RuleType"],
                            company_id=data.get("CompanyId"), payload=data.get("Data") or {},
                            generated_at=None)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValidationFailed(f"Not a Codat webhook body: {exc!r}") from exc


def connection_from_webhook(event: WebhookEvent) -> ProviderConnection:
    """The connection carried by a ``connection.*`` event."""
    if not isinstance(event.payload.get("connection"), dict):
        raise ValidationFailed(f"{event.event_type} webhook {event.id} carries no connection")
    return to_connection(event.payload["connection"], event.company_id or "")


def push_result_from_webhook(event: WebhookEvent) -> PushResult:
    """The outcome in a ``{dataType}.write.successful|unsuccessful`` event. Its payload has no
    validation details: read the push operation for them."""
    payload = event.payload
    status = PUSH_STATUS.get(payload.get("status") or "", None)
    if not payload.get("id") or status is None:
        raise ValidationFailed(f"{event.event_type} webhook {event.id} carries no write outcome")
    data_type = event.event_type.split(".write.")[0] if ".write." in event.event_type else None
    return PushResult(operation_id=payload["id"], status=status,
                      record_id=(payload.get("record") or {}).get("id"), errors=[], raw=payload,
                      data_type=data_type_path(data_type) if data_type else None,
                      company_id=event.company_id, connection_id=payload.get("connectionId"))


def read_data_types(event: WebhookEvent) -> list[str]:
    """List path names of the datasets a ``read.completed`` event reports as read successfully
    ("Complete"; Codat's deprecation note calls it "Success", accepted too)."""
    names = [data_type_path(item.get("dataType") or "") for item in event.payload.get("dataTypes") or []
             if item.get("status") in ("Complete", "Success")]
    return list(dict.fromkeys(name for name in names if name))


def read_failures(event: WebhookEvent) -> dict[str, str]:
    """List path name → the provider's status, for every dataset the read did not complete."""
    return {data_type_path(item.get("dataType") or "") or str(item.get("dataType")): str(item.get("status"))
            for item in event.payload.get("dataTypes") or []
            if item.get("status") not in ("Complete", "Success")}


def classify(event_type: str) -> WebhookDisposition:
    if event_type.startswith(HANDLED_PREFIXES) or event_type.endswith(HANDLED_SUFFIXES):
        return "handled"
    return "ignored" if event_type.startswith(KNOWN_IGNORED) else "unknown"


def read_notice(event_type: str, body: dict) -> WebhookNotice:
    """What a stored Codat webhook of a handled kind means."""
    event = parse_webhook(body)
    if event_type.startswith("connection."):
        link = connection_from_webhook(event)
        if event_type == "connection.connected" or link.status == "connected":
            change = "connected"
        elif event_type == "connection.failed":
            change = "failed"
        else:
            change = "deauthorized" if link.status == "deauthorized" else "disconnected"
        return ConnectionNotice(event.company_id, link, change)
    if event_type.startswith("read.completed"):
        return ReadNotice(event.company_id, read_data_types(event), read_failures(event))
    if event_type.endswith(HANDLED_SUFFIXES):
        return WriteNotice(push_result_from_webhook(event))
    raise ValidationFailed(f"Codat webhook kind {event_type!r} is not handled")
