"""Contract: every request the Codat adapter sends to the sandbox provider, every answer the
sandbox gives and every webhook it signs validate against Codat's published OpenAPI files.

The sandbox runs in-process on a free port (``run_sandbox``: AppRunner + TCPSite) with a
webhook sink beside it; the adapter records each exchange through its observer hook."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import aiohttp
import pytest

from services.core.errors import ProviderDatasetNotReady, ProviderNotFound
from services.providers.http_exchange import Exchange
from services.providers.codat_extras import CodatExtras
from services.sandbox_provider.testing import run_sandbox
from tests import codat_spec

DATASETS = ("accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills")
C, CONN, DT = "/companies/{companyId}", "/connections/{connectionId}", "/data"
EXPECTED = {
    ("GET", "/integrations"), ("POST", "/companies"), ("GET", C), ("POST", f"{C}/connections"),
    ("GET", f"{C}/connections"), ("GET", f"{C}{CONN}"), ("PATCH", f"{C}{CONN}"),
    ("POST", f"{C}{DT}/all"), ("POST", f"{C}{DT}/queue/{{dataType}}"), ("GET", f"{C}/dataStatus"),
    *(("GET", f"{C}{DT}/{name}") for name in DATASETS),
    *(("POST", f"{C}{CONN}/push/{name}") for name in ("customers", "invoices", "bills")),
    ("PUT", f"{C}{CONN}/push/bills/{{billId}}"),
    ("GET", f"{C}/push/{{pushOperationKey}}"), ("GET", f"{C}/push")}


def by(records: list[dict], **wanted) -> dict:
    return next(r for r in records if all(r.get(k) == v for k, v in wanted.items()))


def invoice_body(customer_id: str, account_id: str, tax_rate_id: str) -> dict:
    today = date.today()
    line = {"description": "Consulting", "unitAmount": 100.0, "quantity": 2, "subTotal": 200.0,
            "taxAmount": 38.0, "totalAmount": 238.0, "accountRef": {"id": account_id},
            "taxRateRef": {"id": tax_rate_id}}
    return {"invoiceNumber": f"INV-{uuid.uuid4().hex[:6]}", "customerRef": {"id": customer_id},
            "issueDate": f"{today}T00:00:00", "dueDate": f"{today + timedelta(days=30)}T00:00:00",
            "currency": "EUR", "lineItems": [line], "subTotal": 200.0, "totalTaxAmount": 38.0,
            "totalAmount": 238.0, "amountDue": 238.0, "status": "Submitted"}


def bill_body(supplier_id: str, account_id: str, tax_rate_id: str) -> dict:
    today = date.today()
    line = {"description": "Office rent", "unitAmount": 500.0, "quantity": 1, "subTotal": 500.0,
            "taxAmount": 95.0, "totalAmount": 595.0, "accountRef": {"id": account_id},
            "taxRateRef": {"id": tax_rate_id}}
    return {"reference": f"BILL-{uuid.uuid4().hex[:6]}", "supplierRef": {"id": supplier_id},
            "issueDate": f"{today}T00:00:00", "dueDate": f"{today + timedelta(days=14)}T00:00:00",
            "currency": "EUR", "lineItems": [line], "subTotal": 500.0, "taxAmount": 95.0,
            "totalAmount": 595.0, "amountDue": 595.0, "status": "Open"}


CUSTOMER = {"customerName": "Contract Test Kunde", "contactName": "Kim Weber", "status": "Active",
            "emailAddress": "kim@contract-test.example", "defaultCurrency": "EUR",
            "addresses": [{"type": "Billing", "line1": "Hauptstr. 1", "city": "Berlin",
                           "postalCode": "10115", "country": "DE"}]}


async def drive(adapter, sandbox, session) -> dict:
    """The whole life of a connection through the adapter; returns what later checks need."""
    integrations = await adapter.list_integrations()
    assert {"xero", "quickbooks_online", "quickbooks_online_sandbox"} <= {i.platform for i in integrations}
    with pytest.raises(ProviderNotFound):
        await adapter.get_company(str(uuid.uuid4()))
    company = await adapter.create_company("Contract Test GmbH", {"entity_id": str(uuid.uuid4())})
    assert (await adapter.get_company(company.id)).link_url == company.link_url
    link = await adapter.create_connection(company.id, "xero")
    assert (link.status, link.platform) == ("pending_auth", "xero")
    async with session.post(f"{sandbox.url}/link/{company.id}", data={"platform": "Xero"}) as consent:
        assert consent.status == 200, await consent.text()
    await sandbox.settle()
    connected = await adapter.get_connection(company.id, link.id)
    assert (connected.status, connected.platform) == ("connected", "xero")
    assert connected.business_info["name"] == "Contract Test GmbH"
    assert [c.id for c in await adapter.list_connections(company.id)] == [link.id]

    with pytest.raises(ProviderDatasetNotReady):
        await adapter.list_page(company.id, "invoices")
    await adapter.refresh_all(company.id)
    await adapter.refresh_data_type(company.id, "accounts", link.id)
    await sandbox.settle()
    statuses = await adapter.data_status(company.id)
    assert all(statuses[name].is_complete for name in DATASETS), statuses
    data = {}
    for name in DATASETS:
        pages = [page async for page in adapter.iter_pages(company.id, name, page_size=4)]
        data[name] = [record for page in pages for record in page.results]
        assert len(data[name]) == pages[0].total and not pages[-1].has_next
    assert len(data["accounts"]) > 4  # paged for real

    customer = await adapter.push(company.id, link.id, "customers", CUSTOMER, "contract-customer")
    again = await adapter.push(company.id, link.id, "customers", CUSTOMER, "contract-customer")
    assert again.operation_id == customer.operation_id  # the idempotency key replays
    await sandbox.settle()
    customer = await adapter.get_push_operation(company.id, customer.operation_id)
    assert customer.status == "success" and customer.record_id
    found = await adapter.find_by_name(company.id, "customers", [" contract test KUNDE ", "Nobody"])
    assert [r["id"] for r in found] == [customer.record_id]  # the look-up before a create
    assert await adapter.find_by_name(company.id, "suppliers", ['Odd && "Name" {x}']) == []  # listed, not queried
    sales, rent = by(data["accounts"], nominalCode="200"), by(data["accounts"], nominalCode="469")
    vat = by(data["taxRates"], code="STD19")
    invoice = await adapter.push(company.id, link.id, "invoices",
                                 invoice_body(customer.record_id, sales["id"], vat["id"]),
                                 "contract-invoice", timeout_minutes=10)
    bill = await adapter.push(company.id, link.id, "bills",
                              bill_body(data["suppliers"][0]["id"], rent["id"], vat["id"]), "contract-bill")
    await sandbox.settle()
    for pushed in (invoice, bill):
        done = await adapter.get_push_operation(company.id, pushed.operation_id)
        assert (done.status, done.errors) == ("success", []) and done.record_id
    void = {**bill_body(data["suppliers"][0]["id"], rent["id"], vat["id"]), "status": "Void"}
    voided = await adapter.update(company.id, link.id, "bills", done.record_id, void, "contract-void")
    await sandbox.settle()
    assert (await adapter.get_push_operation(company.id, voided.operation_id)).record_id == done.record_id
    operations = await adapter.find_push_operations(company.id)
    assert {o.operation_id for o in operations} == {customer.operation_id, invoice.operation_id,
                                                    bill.operation_id, voided.operation_id}
    assert (await adapter.disconnect(company.id, link.id)).status == "disconnected"
    await sandbox.settle()
    return {"company_id": company.id}


def validate(exchange: Exchange) -> tuple[codat_spec.Checked, codat_spec.Checked]:
    return (codat_spec.validate_request(exchange.method, exchange.path, exchange.request_body),
            codat_spec.validate_response(exchange.method, exchange.path, exchange.status,
                                         exchange.response_body))


async def test_adapter_and_sandbox_speak_codat_as_published():
    exchanges: list[Exchange] = []
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        adapter = CodatExtras(sandbox.settings, session, observer=exchanges.append)
        await drive(adapter, sandbox, session)
        webhooks = list(sandbox.sink.received)
        secret = sandbox.settings.provider_webhook_secret

    failures, covered, specs, statuses = [], set(), set(), set()
    for exchange in exchanges:
        try:
            request, response = validate(exchange)
        except AssertionError as exc:
            failures.append(str(exc))
            continue
        covered.add((request.method, request.template))
        specs.add(request.spec)
        statuses.add(response.status)
    assert not failures, f"{len(failures)} of {len(exchanges)} exchanges break the contract:\n\n" + \
        "\n\n".join(failures)
    assert EXPECTED <= covered, f"not exercised: {sorted(EXPECTED - covered)}"
    assert specs == {"platform", "payables", "commerce", "lending", "accounting2023"}
    assert {200, 204, 404, 409} <= statuses

    kinds, read = set(), set()
    for received in webhooks:  # signed as Codat signs, shaped as Codat's catalogue says
        event = adapter.verify_webhook(received.raw, received.headers, secret)
        kinds.add(codat_spec.validate_webhook(received.event).template)
        if event.event_type.startswith("connection."):
            assert adapter.connection_from_webhook(event).status in ("connected", "disconnected")
        elif ".write." in event.event_type:
            outcome = adapter.push_result_from_webhook(event)
            assert outcome.status == "success" and outcome.record_id
        elif event.event_type.startswith("read.completed"):
            read.update(adapter.read_data_types(event))
    assert {"connection.connected", "connection.disconnected", "read.completed",
            "{dataType}.write.successful"} <= kinds, kinds
    assert set(DATASETS) <= read
