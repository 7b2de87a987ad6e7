"""Codat shapes → provider-neutral values: pure functions, table-tested."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from services.core.errors import (
    ProviderDatasetNotReady,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RetryableError,
    ValidationFailed,
)
from services.providers import codat_http as http
from services.providers import codat_mapping as m
from services.providers import codat_webhooks as hooks

COMPANY = "0498e921-9b53-4396-a412-4f2f5983b0a2"
CONNECTION = {
    "id": "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd", "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
    "integrationKey": "gbol", "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee", "platformName": "Xero",
    "linkUrl": "https://link-api.codat.io/companies/x/connections/y/start", "status": "PendingAuth",
    "lastSync": None, "created": "2022-10-27T09:53:29Z", "sourceType": "Accounting"}


@pytest.mark.parametrize("name, slug", [
    ("Xero", "xero"), ("QuickBooks Online", "quickbooks_online"),
    ("QuickBooks Online Sandbox", "quickbooks_online_sandbox"),
    ("QuickBooks Desktop", "quickbooks_desktop"), ("Sage 50 (UK)", "sage_50_uk"), ("", None), (None, None)])
def test_platform_slug(name, slug):
    assert m.platform_slug(name) == slug


@pytest.mark.parametrize("codat, ours", [
    ("PendingAuth", "pending_auth"), ("Linked", "connected"), ("Unlinked", "disconnected"),
    ("Deauthorized", "deauthorized")])
def test_connection_status(codat, ours):
    assert m.to_connection({**CONNECTION, "status": codat}, COMPANY).status == ours


def test_connection_maps_platform_link_and_business_info():
    body = {**CONNECTION, "status": "Linked", "connectionInfo": {
        "organisationName": "Acme Ltd", "legalName": "Acme Limited", "baseCurrency": "GBP",
        "email": None, "type": "COMPANY", "shortCode": "!x1"}}
    link = m.to_connection(body, COMPANY)
    assert (link.id, link.company_id, link.platform, link.platform_key) == (
        CONNECTION["id"], COMPANY, "xero", "gbol")
    assert link.link_url == CONNECTION["linkUrl"] and link.raw is body and link.error is None
    assert link.business_info == {"name": "Acme Ltd", "legal_name": "Acme Limited",
                                  "base_currency": "GBP", "type": "COMPANY"}


def test_connection_without_info_and_with_errors():
    body = {**CONNECTION, "connectionInfo": None, "dataConnectionErrors": [
        {"errorMessage": "old", "erroredOnUtc": "2024-01-01T00:00:00Z", "status": "Resolved"},
        {"errorMessage": "token revoked", "erroredOnUtc": "2024-02-01T00:00:00Z", "status": "Active"},
        {"errorMessage": "earlier", "erroredOnUtc": "2024-01-15T00:00:00Z", "status": None}]}
    link = m.to_connection(body, COMPANY)
    assert link.business_info is None and link.error == "token revoked"


def test_company_and_integration():
    company = m.to_company({"id": COMPANY, "name": "Acme", "redirect": "https://link/x",
                            "tags": {"entity_id": "e1"}})
    assert (company.id, company.name, company.link_url, company.tags) == (
        COMPANY, "Acme", "https://link/x", {"entity_id": "e1"})
    assert m.to_company({"id": COMPANY, "name": "A", "redirect": "r"}).tags == {}
    integration = m.to_integration({"key": "qhyg", "name": "QuickBooks Online", "logoUrl": "u",
                                    "enabled": True})
    assert (integration.key, integration.name, integration.platform) == (
        "qhyg", "QuickBooks Online", "quickbooks_online")


@pytest.mark.parametrize("name, cleaned", [
    ("Acme GmbH", "Acme GmbH"), ("Müller & Söhne", "Muller & Sohne"), ("Acme (UK) Ltd.", "Acme UK Ltd."),
    ("A/B  Trading\tCo", "A B Trading Co"), ("O'Brien, Smith & Co!", "O'Brien, Smith & Co!"),
    ("日本", "Company"), ("", "Company")])
def test_company_name_fits_codat_pattern(name, cleaned):
    assert m.company_name(name) == cleaned


@pytest.mark.parametrize("path, key", [("accounts", "chartOfAccounts"), ("invoices", "invoices"),
                                       ("taxRates", "taxRates"), ("billPayments", "billPayments")])
def test_data_type_names(path, key):
    assert m.data_type_key(path) == key and m.data_type_path(key) == path


@pytest.mark.parametrize("links, page, size, total, has_next", [
    ({"self": {}, "current": {}, "next": {"href": "/x?page=2"}}, 1, 2, 5, True),
    ({"self": {}, "current": {}, "previous": {}}, 3, 2, 5, False),
    (None, 1, 2, 5, True), (None, 3, 2, 5, False), (None, 1, 100, 0, False)])
def test_record_page(links, page, size, total, has_next):
    body = {"results": [{"id": "a"}], "pageNumber": page, "pageSize": size, "totalResults": total}
    if links is not None:
        body["_links"] = links
    result = m.to_record_page(body, page, size)
    assert (result.page, result.page_size, result.total, result.has_next) == (page, size, total, has_next)
    assert result.results == [{"id": "a"}]


def test_data_statuses_use_list_names():
    statuses = m.to_data_statuses({
        "chartOfAccounts": {"dataType": "chartOfAccounts", "currentStatus": "Complete",
                            "lastSuccessfulSync": "2024-01-01T00:00:00Z"},
        "invoices": {"dataType": "invoices", "currentStatus": "Fetching"}, "bills": None})
    assert set(statuses) == {"accounts", "invoices"}
    assert statuses["accounts"].is_complete and statuses["accounts"].last_successful_sync
    assert not statuses["invoices"].is_complete and statuses["invoices"].status == "Fetching"


OPERATION = {"companyId": COMPANY, "pushOperationKey": "e6d8c2b0-7a9f-4d1c-8a53-1f2c3d4e5f60",
             "dataConnectionKey": CONNECTION["id"], "requestedOnUtc": "2024-01-01T00:00:00Z",
             "dataType": "invoices", "statusCode": 202, "status": "Pending"}


@pytest.mark.parametrize("extra, status, record_id, errors", [
    ({}, "pending", None, []),
    ({"status": "Success",
      "changes": [{"type": "Created", "recordRef": {"id": "inv-9", "dataType": "invoices"}}]},
     "success", "inv-9", []),
    ({"status": "Success", "data": {"id": "inv-7"}}, "success", "inv-7", []),
    ({"status": "Pending", "data": {"id": "ignored-while-pending"}}, "pending", None, []),
    ({"status": "Failed", "validation": {"errors": [
        {"itemId": "l1", "message": "Tax rate missing", "validatorName": "Xero"}], "warnings": []}},
     "failed", None, [{"message": "Tax rate missing", "item_id": "l1", "validator": "Xero"}]),
    ({"status": "TimedOut", "validation": None}, "timed_out", None, [])])
def test_push_result(extra, status, record_id, errors):
    result = m.to_push_result({**OPERATION, **extra})
    assert (result.status, result.record_id, result.errors) == (status, record_id, errors)
    assert result.operation_id == OPERATION["pushOperationKey"] and result.data_type == "invoices"
    assert (result.company_id, result.connection_id) == (COMPANY, CONNECTION["id"])


def test_push_result_maps_chart_of_accounts():
    assert m.to_push_result({**OPERATION, "dataType": "chartOfAccounts"}).data_type == "accounts"


def envelope(event_type: str, payload: dict) -> dict:
    return {"id": "ba29118f-5406-4e59-b05c-ba307ca38d01", "eventType": event_type,
            "generatedDate": "2024-08-08T17:10:34.015Z",
            "payload": {"referenceCompany": {"id": COMPANY, "name": "Acme"}, **payload}}


def test_parse_webhook_envelope_from_dict_bytes_and_text():
    body = envelope("connection.connected", {"connection": {**CONNECTION, "status": "Linked"}})
    for form in (body, json.dumps(body).encode(), json.dumps(body)):
        event = hooks.parse_webhook(form)
        assert (event.id, event.event_type, event.company_id) == (body["id"], "connection.connected", COMPANY)
        assert event.generated_at == datetime(2024, 8, 8, 17, 10, 34, 15000, tzinfo=UTC)
    link = hooks.connection_from_webhook(hooks.parse_webhook(body))
    assert (link.status, link.platform, link.company_id) == ("connected", "xero", COMPANY)


def test_parse_legacy_webhook():
    event = hooks.parse_webhook({"ClientId": "c", "CompanyId": COMPANY,
                             "RuleType": "Push Operation Status Changed",
                             "AlertId": "a1", "Data": {"status": "Success"}})
    assert (event.id, event.event_type, event.company_id, event.payload) == (
        "a1", "Push Operation Status Changed", COMPANY, {"status": "Success"})


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", {"test": 1}, {"eventType": "x"}])
def test_parse_webhook_refuses_other_bodies(body):
    with pytest.raises(ValidationFailed):
        hooks.parse_webhook(body)


def test_connection_from_webhook_needs_a_connection():
    with pytest.raises(ValidationFailed):
        hooks.connection_from_webhook(hooks.parse_webhook(envelope("connection.connected", {})))


def test_push_result_from_write_webhook():
    event = hooks.parse_webhook(envelope("chartOfAccounts.write.unsuccessful", {
        "id": OPERATION["pushOperationKey"], "type": "Create", "connectionId": CONNECTION["id"],
        "status": "TimedOut", "record": None}))
    result = hooks.push_result_from_webhook(event)
    assert (result.operation_id, result.status, result.record_id, result.data_type) == (
        OPERATION["pushOperationKey"], "timed_out", None, "accounts")
    ok = hooks.push_result_from_webhook(hooks.parse_webhook(envelope("invoices.write.successful", {
        "id": "op", "status": "Success", "record": {"id": "inv-1"}})))
    assert (ok.status, ok.record_id, ok.data_type, ok.company_id) == ("success", "inv-1", "invoices", COMPANY)


def test_read_data_types_keeps_successful_reads_as_list_names():
    event = hooks.parse_webhook(envelope("read.completed", {"dataTypes": [
        {"dataType": "chartOfAccounts", "status": "Complete"}, {"dataType": "invoices", "status": "Success"},
        {"dataType": "bills", "status": "FetchError"}, {"dataType": "invoices", "status": "Complete"}]}))
    assert hooks.read_data_types(event) == ["accounts", "invoices"]


def test_retry_after():
    assert http.retry_after_seconds("7") == 7.0 and http.retry_after_seconds(None) == http.DEFAULT_RETRY_AFTER_S
    assert http.retry_after_seconds("soon") == http.DEFAULT_RETRY_AFTER_S
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 100 < http.retry_after_seconds(later) <= 120


ERROR = {"statusCode": 400, "service": "PublicApi", "error": "Validation failed", "correlationId": "c",
         "validation": {"errors": [{"itemId": "x", "message": "Name required", "validatorName": "Xero"}]},
         "canBeRetried": "Unknown", "detailedErrorCode": 0}


@pytest.mark.parametrize("status, dataset, kind, retryable", [
    (400, False, ProviderRejected, False), (401, False, ProviderRejected, False),
    (404, False, ProviderNotFound, False), (409, True, ProviderDatasetNotReady, True),
    (409, False, ProviderRejected, False), (429, False, ProviderRateLimited, True),
    (500, False, ProviderUnavailable, True), (503, True, ProviderUnavailable, True)])
def test_error_mapping(status, dataset, kind, retryable):
    error = http.error_for(status, ERROR, "12", "GET /companies/x", dataset=dataset)
    assert type(error) is kind and error.status == status and error.body is ERROR
    assert isinstance(error, RetryableError) is retryable
    assert "Validation failed" in error.message and "GET /companies/x" in error.message
    if not retryable:
        assert error.context["errors"] == [{"message": "Name required", "item_id": "x", "validator": "Xero"}]


def test_rate_limit_carries_retry_after():
    assert http.error_for(429, None, "12", "GET /x").retry_after == 12.0
    assert http.error_for(429, "busy", None, "GET /x").retry_after == http.DEFAULT_RETRY_AFTER_S
