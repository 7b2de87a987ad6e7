"""Provider webhooks as the test's own provider would sign them: Codat's Standard Webhooks
(``webhook-id``/``webhook-timestamp``/``webhook-signature``) or Railz's ``Railz-Signature``
(``t=<ms>,v=<hex HMAC-SHA256 of "<t>.<raw body>">``), and the few bodies the tests forge."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SIGNATURE_HEADER = {"codat": "webhook-signature", "railz": "Railz-Signature"}
FOREIGN_SECRET = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="


def url(system) -> str:
    return f"{system.webhook_url}/webhooks/{system.settings.provider}"


def other_url(system) -> str:
    return f"{system.webhook_url}/webhooks/{'railz' if system.settings.provider == 'codat' else 'codat'}"


def signed(system, body: dict, *, msg_id: str | None = None, at: datetime | None = None,
           secret: str | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(body)
    at = at or datetime.now(UTC)
    secret = secret or system.settings.webhook_secrets[0]
    if system.settings.provider == "railz":
        t = str(int(at.timestamp() * 1000))
        v = hmac.new(secret.encode(), t.encode() + b"." + raw.encode(), hashlib.sha256).hexdigest()
        return raw.encode(), {"Railz-Signature": f"t={t},v={v}", "content-type": "application/json"}
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    return raw.encode(), {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
                          "webhook-signature": Webhook(secret).sign(msg_id, at, raw),
                          "content-type": "application/json"}


def delivery_id(system, raw: bytes, headers: dict) -> str:
    """What the receiver stores the delivery under."""
    return headers.get("webhook-id") or json.loads(raw)["requestId"]


def read_completed(system, company_id: str) -> dict:
    if system.settings.provider == "railz":
        return {"data": {"event": "data", "connectionId": f"CON-{uuid.uuid4()}", "businessUuid": company_id,
                         "serviceName": "xero", "requests": [], "dataSyncType": "manualSync"},
                "requestId": str(uuid.uuid4())}
    return {"id": str(uuid.uuid4()), "eventType": "read.completed", "generatedDate": datetime.now(UTC).isoformat(),
            "payload": {"referenceCompany": {"id": company_id, "name": "x"},
                        "modifiedFromDate": datetime.now(UTC).isoformat(), "dataTypes": []}}


def write_succeeded(system, company_id: str, operation_id: str, record_id: str) -> dict:
    now = datetime.now(UTC).isoformat()
    if system.settings.provider == "railz":
        return {"data": {"event": "push", "connectionId": f"CON-{uuid.uuid4()}", "businessUuid": company_id,
                         "serviceName": "xero", "pushCommunicationId": operation_id, "dataType": "invoices",
                         "requestedOn": now, "completedOn": now, "status": "success", "responseCode": 201,
                         "sourceObjectIds": [record_id]}, "requestId": str(uuid.uuid4())}
    return {"id": str(uuid.uuid4()), "eventType": "invoices.write.successful", "generatedDate": now,
            "payload": {"id": operation_id, "type": "Create", "status": "Success",
                        "referenceCompany": {"id": company_id, "name": "x"}, "connectionId": str(uuid.uuid4()),
                        "record": {"id": record_id}, "requestedOnDate": now, "completedOnDate": now}}


def unknown_kind(system) -> tuple[dict, str]:
    """A well-formed event of a kind nobody knows, and its name."""
    if system.settings.provider == "railz":
        return {"data": {"event": "something.odd"}, "requestId": str(uuid.uuid4())}, "something.odd"
    return {"id": str(uuid.uuid4()), "eventType": "something.odd", "generatedDate": datetime.now(UTC).isoformat(),
            "payload": {}}, "something.odd"
