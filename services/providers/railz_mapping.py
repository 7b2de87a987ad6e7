"""Railz's shapes → the provider-neutral values of ``services.providers.base``; no I/O."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from services.core.errors import (
    ProviderDatasetNotReady,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from services.providers.base import DataStatus, ProviderConnection, PushResult, RecordPage

DEFAULT_RETRY_AFTER_S = 30.0
NOT_READY_RETRY_S = 15.0
# ledgersync's platform slugs ↔ Railz's serviceName
SERVICES = {"xero": "xero", "quickbooks_online": "quickbooks", "quickbooks_online_sandbox": "quickbooks",
            "quickbooks": "quickbooks"}
PLATFORMS = {"xero": "xero", "quickbooks": "quickbooks_online"}
# connection status: ours from Railz's status and disconnect reason (NOTES §13)
OURS_DISCONNECTED = (None, "", "disconnectedByCustomer")
PUSH_STATUS = {"pending": "pending", "success": "success", "failed": "failed"}
# the port's data types (list names) ↔ Railz's data-type names (sync, pushStatus, webhooks)
RAILZ_TYPES = {"accounts": "accounts", "taxRates": "taxRates", "customers": "customers", "suppliers": "vendors",
               "items": "inventory", "invoices": "invoices", "creditNotes": "invoiceCreditNotes",
               "payments": "invoicePayments", "bills": "bills", "billPayments": "billPayments"}
PORT_TYPES = {railz: port for port, railz in RAILZ_TYPES.items()}
# Railz's data-type names ↔ the read paths under /v2/accounting/
READ_PATHS = {"accounts": "accounts", "taxRates": "taxRates", "customers": "customers", "vendors": "vendors",
              "inventory": "inventory", "invoices": "invoices", "invoiceCreditNotes": "invoices/creditNotes",
              "invoicePayments": "invoices/payments", "bills": "bills", "billPayments": "bills/payments"}


def connection_status(status: str | None, reason: str | None = None) -> str:
    if status == "active":
        return "connected"
    if status in (None, "", "pending"):
        return "pending_auth"
    if status == "disconnected" and reason in OURS_DISCONNECTED:
        return "disconnected"
    return "deauthorized"  # expired, invalid, or revoked by the user or the accounting system


def platform(service: str | None) -> str | None:
    return PLATFORMS.get(service or "", service or None)


def service_name(platform_slug: str) -> str | None:
    return SERVICES.get(platform_slug)


def tax_rate_minor(percent: object) -> int | None:
    """Railz rates are percent numbers (19.0); ledgersync's are percent in minor units (1900)."""
    if isinstance(percent, bool) or not isinstance(percent, (int, float)):
        return None
    return round(percent * 100)


def to_connection(body: Mapping, business_uuid: str | None = None, link_url: str | None = None,
                  business_info: dict | None = None) -> ProviderConnection:
    """A ``ConnectionsResponseDataV2`` (or a connection webhook's data) as a connection."""
    status = connection_status(body.get("status"), body.get("disconnectReason"))
    return ProviderConnection(
        id=body.get("connectionUuid") or body.get("connectionId"),
        company_id=body.get("businessUuid") or business_uuid or "", status=status,
        platform=platform(body.get("serviceName")), link_url=link_url, business_info=business_info,
        raw=dict(body), platform_key=body.get("serviceName"),
        error=body.get("disconnectReason") if status == "deauthorized" else None)


def business_info(body: Mapping | None) -> dict | None:
    data = (body or {}).get("data") or {}
    info = {ours: data[theirs] for theirs, ours in (("businessName", "name"), ("legalName", "legal_name"),
                                                     ("baseCurrency", "base_currency"), ("businessEmail", "email"),
                                                     ("businessType", "type")) if data.get(theirs) is not None}
    return info or None


def expiry(text: str | None) -> datetime | None:
    """generateUrl's ``expiryDate`` ("2021-08-09 23:50:00", no zone: read as UTC)."""
    try:
        moment = datetime.fromisoformat((text or "").replace(" ", "T"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_record_page(body: Mapping | None, offset: int, limit: int) -> RecordPage:
    """A read's envelope; 204 (no body) is an empty page. Railz pages by offset: a page shorter
    than ``limit`` is the last (whether ``pagination.count`` is the page's or the total's size
    is not documented, so it is not relied on)."""
    results = list((body or {}).get("data") or [])
    return RecordPage(results=results, page=offset // limit + 1, page_size=limit,
                      total=offset + len(results), has_next=len(results) >= limit)


def to_data_statuses(body: Mapping | None) -> dict[str, DataStatus]:
    statuses = {}
    for item in (body or {}).get("data") or []:
        reports = item.get("reports") or []
        current = [r.get("currentStatus") for r in reports if r.get("currentStatus")]
        status = "failed" if "failed" in current else "pending" if "pending" in current else (
            current[0] if current else "unknown")
        last = item.get("lastSyncDate") or max((r.get("lastSuccessfulSync") or "" for r in reports), default="")
        statuses[item["dataType"]] = DataStatus(data_type=item["dataType"], status=status,
                                                last_successful_sync=last or None,
                                                is_complete=status in ("success", "empty") and bool(last))
    return statuses


def _errors(validation: Mapping | None) -> list[dict]:
    return [{"message": e.get("message"), "item_id": e.get("field"), "validator": None}
            for e in (validation or {}).get("errors") or []]


def to_push_result(body: Mapping, connection_id: str | None = None) -> PushResult:
    """A push response, a ``PushStatusDataV2`` or a ``push`` webhook's data as a result."""
    status = PUSH_STATUS.get(body.get("status") or "", "pending")
    ids = [str(i) for i in body.get("sourceObjectIds") or []]
    errors = _errors(body.get("validation"))
    message = "; ".join(e["message"] for e in errors if e["message"]) or (
        f"the accounting system answered {body['responseCode']}" if status == "failed" and body.get("responseCode")
        else None)
    return PushResult(operation_id=body["pushCommunicationId"], status=status,
                      record_id=ids[0] if status == "success" and ids else None, errors=errors, raw=dict(body),
                      data_type=body.get("dataType"), company_id=body.get("businessUuid"),
                      connection_id=body.get("connectionUuid") or body.get("connectionId") or connection_id,
                      error_message=message)


def _messages(body: object) -> list[str]:
    inner = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    found = inner.get("message") if isinstance(inner, dict) else None
    if isinstance(found, str):
        return [found]
    return [str(m) for m in found] if isinstance(found, list) else []


def retry_after_seconds(headers: Mapping[str, str]) -> float:
    """Railz documents ``X-RateLimit-Reset`` (seconds until the window resets); ``Retry-After``
    is honoured too; the default when neither is usable."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after", "x-ratelimit-reset"):
        try:
            return max(0.0, float(lowered[name]))
        except (KeyError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER_S


def error_for(status: int, body: object, headers: Mapping[str, str], what: str, *,
              read: bool = False) -> ProviderError:
    """The exception for a Railz answer to ``what`` that is not a usable 2xx."""
    messages = _messages(body)
    message = f"Railz answered {status} to {what}" + (f": {'; '.join(messages)}" if messages else "")
    errors = [{"message": m} for m in messages]
    if read and status == 202:
        return ProviderDatasetNotReady(message, status=status, body=body, retry_after=NOT_READY_RETRY_S)
    if status == 429:
        return ProviderRateLimited(message, status=status, body=body, retry_after=retry_after_seconds(headers))
    if status >= 500:
        return ProviderUnavailable(message, status=status, body=body)
    if status == 404:
        return ProviderNotFound(message, status=status, body=body, errors=errors)
    return ProviderRejected(message, status=status, body=body, errors=errors)


def when(text: object) -> datetime | None:
    """A Railz date-time (``2021-03-09T10:18:29.985Z``) as an aware datetime, or None."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
