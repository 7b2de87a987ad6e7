"""Codat's answers → the provider-neutral values of ``services.providers.base``; no I/O.
(Error answers are mapped in ``codat_http``, webhook bodies in ``codat_webhooks``.)"""
from __future__ import annotations

import re
import unicodedata

from services.providers.base import (
    DataStatus,
    Integration,
    ProviderCompany,
    ProviderConnection,
    PushResult,
    RecordPage,
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
