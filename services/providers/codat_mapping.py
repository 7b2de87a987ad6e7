"""Codat's shapes → the provider-neutral values of ``services.providers.base``; no I/O."""
from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from email.utils import parsedate_to_datetime

from services.core.errors import (
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    ValidationFailed,
)
from services.providers.base import (
    DataStatus,
    Integration,
    ProviderCompany,
    ProviderConnection,
    ProviderDatasetNotReady,
    PushResult,
    RecordPage,
    WebhookEvent,
)

CONNECTION_STATUS = {"PendingAuth": "pending_auth", "Linked": "connected",
                     "Unlinked": "disconnected", "Deauthorized": "deauthorized"}
PUSH_STATUS = {"Pending": "pending", "Success": "success", "Failed": "failed",
               "TimedOut": "timed_out"}
# The REST path of a dataset is its data-type key, except for accounts (NOTES.md §1).
_KEY_FOR_PATH = {"accounts": "chartOfAccounts"}
_PATH_FOR_KEY = {key: path for path, key in _KEY_FOR_PATH.items()}
_BUSINESS_INFO = {"organisationName": "name", "legalName": "legal_name",
                  "baseCurrency": "base_currency", "email": "email", "type": "type"}
DEFAULT_RETRY_AFTER_S = 30.0


def data_type_key(data_type: str) -> str:
    """Codat's data-type key (refresh, push operations, webhooks) for a list path name."""
    return _KEY_FOR_PATH.get(data_type, data_type)


def data_type_path(key: str) -> str:
    """The list path name (``accounts``) for a Codat data-type key (``chartOfAccounts``)."""
    return _PATH_FOR_KEY.get(key, key)


# Monite's older API calls QuickBooks Online just "quickbooks"
PLATFORM_ALIASES = {"quickbooks": "quickbooks_online"}


def platform_slug(name: str | None) -> str | None:
    """ledgersync's platform slug for an integration name: "QuickBooks Online" → quickbooks_online."""
    slug = re.sub(r"[^a-z0-9]+", "_", (name or "").lower()).strip("_")
    return slug or None


def to_integration(body: dict) -> Integration:
    return Integration(key=body["key"], name=body["name"], platform=platform_slug(body["name"]))


def company_name(name: str) -> str:
    """A company name Codat accepts (``CompanyRequestBody.name``: letters, digits, spaces and
    ``-',&@.?!`` only): accents folded, anything else a space, never empty."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = " ".join(re.sub(r"[^A-Za-z0-9\s\-',&@.?!]", " ", folded).split())
    return cleaned or "Company"


def to_company(body: dict) -> ProviderCompany:
    return ProviderCompany(id=body["id"], name=body["name"], link_url=body["redirect"],
                           tags=dict(body.get("tags") or {}))


def business_info(connection_info: dict | None) -> dict | None:
    if not connection_info:
        return None
    info = {ours: connection_info[theirs] for theirs, ours in _BUSINESS_INFO.items()
            if connection_info.get(theirs) is not None}
    return info or None


def _active_error(errors: list[dict] | None) -> str | None:
    active = [e for e in errors or [] if e.get("status") != "Resolved" and e.get("errorMessage")]
    return max(active, key=lambda e: e.get("erroredOnUtc") or "")["errorMessage"] if active else None


def to_connection(body: dict, company_id: str) -> ProviderConnection:
    return ProviderConnection(
        id=body["id"], company_id=company_id, status=CONNECTION_STATUS[body["status"]],
        platform=platform_slug(body.get("platformName")), link_url=body.get("linkUrl"),
        business_info=business_info(body.get("connectionInfo")), raw=body,
        platform_key=body.get("integrationKey"), error=_active_error(body.get("dataConnectionErrors")))


def to_record_page(body: dict, page: int, page_size: int) -> RecordPage:
    total = int(body.get("totalResults") or 0)
    links = body.get("_links") or {}
    has_next = "next" in links if links else page * page_size < total
    return RecordPage(results=list(body.get("results") or []), page=int(body.get("pageNumber") or page),
                      page_size=int(body.get("pageSize") or page_size), total=total, has_next=has_next)


def to_data_statuses(body: dict) -> dict[str, DataStatus]:
    statuses = {}
    for key, item in body.items():
        if item:
            status = item.get("currentStatus") or "Unknown"
            statuses[data_type_path(key)] = DataStatus(
                data_type=data_type_path(key), status=status,
                last_successful_sync=item.get("lastSuccessfulSync"),
                is_complete=status == "Complete")
    return statuses


def validation_errors(validation: dict | None) -> list[dict]:
    """Codat's ``validation.errors`` items as ``{"message", "item_id", "validator"}``."""
    return [{"message": item.get("message"), "item_id": item.get("itemId"),
             "validator": item.get("validatorName")}
            for item in (validation or {}).get("errors") or []]


def _record_id(body: dict, status: str) -> str | None:
    for change in body.get("changes") or []:
        if (change.get("recordRef") or {}).get("id"):
            return change["recordRef"]["id"]
    data = body.get("data")
    return data.get("id") if status == "success" and isinstance(data, dict) else None


def to_push_result(body: dict) -> PushResult:
    """A push operation, or a push response (the operation plus ``data``)."""
    status = PUSH_STATUS[body["status"]]
    return PushResult(
        operation_id=body["pushOperationKey"], status=status, record_id=_record_id(body, status),
        errors=validation_errors(body.get("validation")), raw=body,
        data_type=data_type_path(body["dataType"]) if body.get("dataType") else None,
        company_id=body.get("companyId"), connection_id=body.get("dataConnectionKey"),
        error_message=body.get("errorMessage"))


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


def retry_after_seconds(header: str | None) -> float:
    """Retry-After as seconds: delta-seconds or an HTTP date; the default when absent or bad."""
    if not header:
        return DEFAULT_RETRY_AFTER_S
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(header)
        return max(0.0, (moment - datetime.now(moment.tzinfo)).total_seconds())
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_S


def error_for(status: int, body: object, retry_after: str | None, what: str, *,
              dataset: bool = False) -> ProviderError:
    """The exception for a Codat error answer to ``what`` ("GET /companies/x"); ``dataset``:
    the call read a dataset, where 409 means "not requested yet or still syncing"."""
    detail = body.get("error") if isinstance(body, dict) else None
    message = f"Codat answered {status} to {what}" + (f": {detail}" if detail else "")
    errors = validation_errors(body.get("validation")) if isinstance(body, dict) else []
    if status == 429:
        return ProviderRateLimited(message, status=status, body=body,
                                   retry_after=retry_after_seconds(retry_after))
    if status >= 500:
        return ProviderUnavailable(message, status=status, body=body,
                                   retry_after=retry_after_seconds(retry_after) if retry_after else None)
    if status == 404:
        return ProviderNotFound(message, status=status, body=body, errors=errors)
    if status == 409 and dataset:
        return ProviderDatasetNotReady(message, status=status, body=body, errors=errors,
                                       retry_after=retry_after_seconds(retry_after))
    return ProviderRejected(message, status=status, body=body, errors=errors)
