"""Contract: every request the Railz adapter sends to the sandbox provider and every answer the
sandbox gives validate against Railz's OpenAPI v2 (tests/vendor/railz/); its webhooks verify
with Railz-Signature and read as the port's notices."""
from __future__ import annotations

import uuid
from datetime import date

import aiohttp
import pytest

from services.core.errors import ProviderDatasetNotReady, ProviderNotFound, ProviderRejected
from services.core.settings import Settings
from services.providers.base import ConnectionNotice, ReadNotice, WriteAttempt, WriteNotice
from services.providers.http_exchange import Exchange
from services.providers.railz import RailzAdapter
from services.sandbox_provider.testing import run_sandbox
from tests import railz_spec

DATASETS = ("accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills")
A = "/v2/accounting"
EXPECTED = {
    ("GET", "/v2/businesses"), ("POST", "/v2/businesses"), ("POST", "/v2/businesses/generateUrl"),
    ("GET", "/v2/connections"), ("GET", "/v2/businesses/info"), ("PUT", "/v2/connections/disconnect"),
    ("POST", "/v2/data/sync"), ("GET", "/v2/data/pushStatus"),
    *(("GET", f"{A}/{p}") for p in ("accounts", "taxRates", "customers", "vendors", "inventory", "invoices", "bills")),
    *(("POST", f"{A}/{p}") for p in ("customers", "vendors", "invoices", "invoices/creditNotes",
                                     "invoices/payments", "bills"))}


def by(records: list[dict], **wanted) -> dict:
    return next(r for r in records if all(r.get(k) == v for k, v in wanted.items()))


async def drive(adapter: RailzAdapter, sandbox, session) -> None:
    entity_id = str(uuid.uuid4())
    with pytest.raises(ProviderNotFound):
        await adapter.get_company("BIZ-00000000-0000-0000-0000-000000000000")
    company = await adapter.create_company("Contract Test GmbH", {"entity_id": entity_id})
    assert company.name == entity_id and "/sites/ste-" in company.link_url
    again = await adapter.create_company("Contract Test GmbH", {"entity_id": entity_id})
    assert again.id == company.id  # the business of an earlier attempt is reused
    pending = await adapter.create_connection(company.id, "xero")
    assert (pending.status, pending.id) == ("pending_auth", "")
    async with session.post(pending.link_url, data={"platform": "xero", "action": "allow"}) as consent:
        assert consent.status == 200, await consent.text()
    await sandbox.settle()
    link = await adapter.active_connection(company.id)
    connected = await adapter.get_connection(company.id, link)
    assert (connected.status, connected.platform) == ("connected", "xero")
    assert connected.business_info["name"] == "Contract Test GmbH"  # as ledgersync named it

    await adapter.refresh_all(company.id)
    await sandbox.settle()
    data = {}
    for name in DATASETS:
        page, data[name] = 1, []
        while True:
            batch = await adapter.list_page(company.id, name, page, 4)
            data[name] += batch.results
            if not batch.has_next:
                break
            page += 1
    assert len(data["accounts"]) > 4 and all("metadata" in r for r in data["accounts"])
    sales, rent = by(data["accounts"], nominalCode="200"), by(data["accounts"], nominalCode="469")
    vat = by(data["taxRates"], code="STD19")
    assert vat["effectiveTaxRate"] == 19.0

    customer = await adapter.push(company.id, link, "customers", {"customerName": "Kontrakt Kunde GmbH",
                                                                  "billingAddress": {"country": "DE"}}, "k1")
    vendor = await adapter.push(company.id, link, "suppliers", {"vendorName": "Kontrakt Lieferant"}, "k2")
    await sandbox.settle()
    customer = await adapter.get_push_operation(company.id, customer.operation_id)
    assert customer.status == "success" and customer.record_id
    found = await adapter.find_by_name(company.id, "customers", [" kontrakt KUNDE gmbh ", "Nobody"])
    assert [r["id"] for r in found] == [customer.record_id]  # the look-up before a contact is created
    assert await adapter.find_by_name(company.id, "suppliers", ["Nobody at all"]) == []
    today = str(date.today())
    line = {"description": "Consulting", "quantity": 2.0, "unitAmount": 100.0, "taxRateRef": {"id": vat["id"]},
            "accountRef": {"id": sales["id"]}}
    invoice_body = {"invoiceNumber": f"INV-{uuid.uuid4().hex[:6]}", "customerRef": {"id": customer.record_id},
                    "postedDate": today, "currency": "EUR", "lines": [line]}
    invoice = await adapter.push(company.id, link, "invoices", invoice_body, "k3")
    note_body = {"customerRef": {"id": customer.record_id}, "postedDate": today, "memo": "ledgersync credit note x",
                 "lines": [{**line, "taxAmount": 38.0}]}
    note = await adapter.push(company.id, link, "creditNotes", note_body, "k4")
    await sandbox.settle()
    invoice = await adapter.get_push_operation(company.id, invoice.operation_id)
    assert invoice.status == "success", invoice.errors
    payment = await adapter.push(company.id, link, "payments", {
        "customerRef": {"id": customer.record_id}, "accountRef": {"id": by(data["accounts"], nominalCode="090")["id"]},
        "date": today, "totalAmount": 238.0, "memo": "ledgersync payment p",
        "lines": [{"amount": 238.0, "links": [{"type": "invoice", "id": invoice.record_id}]}]}, "k5")
    bill_body = {"vendorInvoiceNumber": "B-1", "vendorRef": {"id": data["suppliers"][0]["id"]}, "postedDate": today,
                 "lines": [{"quantity": 1.0, "unitAmount": 500.0, "taxAmount": 95.0, "accountRef": {"id": rent["id"]},
                            "taxRateRef": {"id": vat["id"]}}]}
    bill = await adapter.push(company.id, link, "bills", bill_body, "k6")
    await sandbox.settle()
    for pushed in (note, payment, bill, vendor):
        done = await adapter.get_push_operation(company.id, pushed.operation_id)
        assert (done.status, done.errors) == ("success", []) and done.record_id
    with pytest.raises(ProviderRejected, match="cannot void"):
        await adapter.update(company.id, link, "bills", done.record_id, bill_body, "k7")
    found = await adapter.find_written(company.id, link, WriteAttempt("receivable", "invoices", invoice_body, "k3", None))
    assert found == invoice.record_id  # the natural key finds what a lost answer created
    with pytest.raises(ProviderDatasetNotReady):
        other = await adapter.create_company("Never synced", {"entity_id": str(uuid.uuid4())})
        await adapter.create_connection(other.id, "quickbooks_online")
        async with session.post((await adapter.get_company(other.id)).link_url,
                                data={"platform": "quickbooks", "action": "allow"}) as consent:
            assert consent.status == 200
        await adapter.list_page(other.id, "invoices")  # the first sync is still running
    assert (await adapter.disconnect(company.id, link)).status == "disconnected"
    await sandbox.settle()


def validate(exchange: Exchange) -> tuple[str, str]:
    return (railz_spec.validate_request(exchange.method, exchange.path, exchange.request_body),
            railz_spec.validate_response(exchange.method, exchange.path, exchange.status, exchange.response_body))


async def test_adapter_and_sandbox_speak_railz_as_published():
    exchanges: list[Exchange] = []
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        settings = Settings(**{**sandbox.settings.model_dump(), "provider": "railz"})
        adapter = RailzAdapter(settings, session, observer=exchanges.append)
        await drive(adapter, sandbox, session)
        webhooks = list(sandbox.railz_sink.received)
    failures, covered = [], set()
    for exchange in exchanges:
        try:
            template, _ = validate(exchange)
        except AssertionError as exc:
            failures.append(str(exc))
            continue
        covered.add((exchange.method, template))
    assert not failures, f"{len(failures)} of {len(exchanges)} exchanges break the contract:\n\n" + "\n\n".join(failures)
    assert EXPECTED <= covered, f"not exercised: {sorted(EXPECTED - covered)}"
    assert adapter.http.token_fetches == 1  # one token for the whole run

    notices = []
    for received in webhooks:
        event = adapter.verify_webhook(received.raw, received.headers, settings.provider_webhook_secret)
        if adapter.classify_webhook(event.event_type) == "handled":
            notices.append(adapter.read_webhook(event.event_type, received.event))
    kinds = {type(n).__name__ for n in notices}
    assert kinds == {"ConnectionNotice", "ReadNotice", "WriteNotice"}, kinds
    assert {n.change for n in notices if isinstance(n, ConnectionNotice)} == {"connected", "disconnected"}
    assert set(DATASETS) <= {t for n in notices if isinstance(n, ReadNotice) for t in n.data_types}
    assert all(n.result.status == "success" and n.result.record_id for n in notices if isinstance(n, WriteNotice))
