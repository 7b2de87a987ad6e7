"""Issue 4 from outside: events in, exactly one document in the accounting system, records settled."""
from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support import client, flows


@pytest.fixture(scope="module")
def shop(system, partner, access_token):
    """A connected entity with a mapped product."""
    return flows.connected_shop(system, partner, access_token, "Push Shop GmbH")


def test_invoice_for_a_new_counterpart_pushes_both_exactly_once(system, shop):
    entity, sdk, _, product = shop
    customer = flows.counterpart(system, entity, f"Neukunde {uuid.uuid4().hex[:6]} GmbH", country="DE",
                                 city="Köln", line1="Domplatz 1")
    data = flows.invoice_data(customer, [(product, "Consulting", 3, 12000, 1900), (product, "Travel", 1, 3333, 1900)])
    event = client.cloud_event("receivable.issued", data, entity)
    client.publish(system.settings.amqp_url, event, event, event)  # delivered three times
    record = flows.record_of(sdk, "receivable", data["id"])
    assert record.sync_status == "done", record.errors
    assert record.platform_object_id and record.provider == system.settings.provider
    cust = flows.record_of(sdk, "customer", customer)
    assert cust.sync_status == "done"
    invoices = [i for i in flows.ledger(system, entity, "invoices") if i.get("invoiceNumber") == data["document_id"]]
    assert len(invoices) == 1
    pushed = invoices[0]
    assert round(pushed["totalAmount"] * 100) == data["total_amount"]
    assert round(pushed["totalTaxAmount"] * 100) == data["total_vat_amount"]
    assert pushed["customerRef"]["id"] == cust.platform_object_id
    customers = [c for c in flows.ledger(system, entity, "customers") if c["id"] == cust.platform_object_id]
    assert len(customers) == 1
    # one id tells the whole story in the logs: event in, queued, write, webhook, settled
    story = {line["event"] for line in system.log_lines() if line.get("record_id") == record.id}
    assert {"event.applied", "push.queued", "push.sent", "webhook.processed", "push.done",
            "synced_record.status_changed"} <= story, story


def test_unmet_prerequisites_are_explained_and_manual_push_clears_them(system, shop):
    entity, sdk, _, product = shop
    customer = flows.counterpart(system, entity, f"Steuerfall {uuid.uuid4().hex[:6]} AG")
    unknown_product = str(uuid.uuid4())
    data = flows.invoice_data(customer, [(product, "Consulting", 1, 10000, 1600),
                                         (unknown_product, "Mystery", 1, 500, 1900)])
    client.publish(system.settings.amqp_url, client.cloud_event("receivable.issued", data, entity))
    record = flows.record_of(sdk, "receivable", data["id"])
    assert record.sync_status == "error"
    codes = [e["code"] for e in record.errors["details"]]
    assert "tax_rate_not_found" in codes and "product_not_mapped" in codes
    tax = next(e for e in record.errors["details"] if e["code"] == "tax_rate_not_found")
    assert "16.00%" in tax["message"] and "Xero" in tax["message"] and tax["hint"]
    # the person fixes it: a 16% rate in Xero and the product created there too, then sync and push
    company = flows.sandbox_company(system, entity)
    httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/taxRates", json={
        "name": "Sixteen", "code": "S16", "status": "Active", "effectiveTaxRate": 16, "totalTaxRate": 16,
        "components": [{"name": "S16", "rate": 16, "isCompound": False}]}).raise_for_status()
    flows.product(system, entity, "Mystery", product_id=unknown_product)
    httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/items", json={
        "name": "Mystery", "itemStatus": "Active", "type": "Service", "isBillItem": False,
        "isInvoiceItem": True, "invoiceItem": {"unitPrice": 5}}).raise_for_status()
    flows.sync_and_wait(sdk, shop[2].id)
    pushed = sdk.accounting.synced_records.push_by_id(record.id)
    assert pushed.sync_status == "pending"
    assert flows.record_of(sdk, "receivable", data["id"], "done").platform_object_id
    again = sdk.accounting.synced_records.push_by_id(record.id)  # done: nothing changes
    assert again.sync_status == "done"
    assert again.updated_at == sdk.accounting.synced_records.get_by_id(record.id).updated_at
    pushed = [i for i in flows.ledger(system, entity, "invoices") if i.get("invoiceNumber") == data["document_id"]]
    assert len(pushed) == 1
