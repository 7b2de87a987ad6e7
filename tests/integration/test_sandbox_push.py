"""Sandbox provider: pushes, their validation, idempotency keys and outcome webhooks."""
from __future__ import annotations

import pytest
import pytest_asyncio


@pytest_asyncio.fixture(loop_scope="session")
async def ledger(sandbox):
    """A linked company: its id, connection id and ledger records by kind and name."""
    async with sandbox.client() as http:
        company = await (await http.post("/companies", json={"name": "Acme GmbH"})).json()
        await http.post(f"/link/{company['id']}", data={"platform": "Xero"})
        found = {}
        for name in ("accounts", "taxRates", "customers", "suppliers", "items"):
            found[name] = (await (await http.get(
                f"/admin/companies/{company['id']}/{name}")).json())["results"]
    company_state = sandbox.state.companies[company["id"]]
    return {"company": company["id"], "connection": company_state.linked()[0].id, **found}


def pick(records, **wanted):
    return next(r for r in records if all(r.get(k) == v for k, v in wanted.items()))


def invoice(ledger, customer_id=None, number="INV-9001", unit=100.0, tax=38.0):
    sales = pick(ledger["accounts"], nominalCode="200")
    vat = pick(ledger["taxRates"], code="STD19")
    item = pick(ledger["items"], code="CONS-HR")
    sub = unit * 2
    line = {"description": "Consulting", "unitAmount": unit, "quantity": 2, "subTotal": sub,
            "taxAmount": tax, "totalAmount": sub + tax, "accountRef": {"id": sales["id"]},
            "taxRateRef": {"id": vat["id"]}, "itemRef": {"id": item["id"]}}
    return {"invoiceNumber": number, "customerRef": {"id": customer_id or ledger["customers"][0]["id"]},
            "issueDate": "2026-11-20T00:00:00", "dueDate": "2026-12-20T00:00:00",
            "currency": "EUR", "lineItems": [line], "subTotal": sub, "totalTaxAmount": tax,
            "totalAmount": sub + tax, "amountDue": sub + tax, "status": "Submitted"}


def push_path(ledger, data_type):
    return f"/companies/{ledger['company']}/connections/{ledger['connection']}/push/{data_type}"


async def test_push_invoice_succeeds_asynchronously_and_lands_in_the_ledger(sandbox, ledger):
    async with sandbox.client() as http:
        response = await http.post(push_path(ledger, "invoices"), json=invoice(ledger),
                                   params={"timeoutInMinutes": 5})
        op = await response.json()
        assert response.status == 200
        assert op["status"] == "Pending" and op["statusCode"] == 202
        assert "completedOnUtc" not in op
        assert op["companyId"] == ledger["company"] and op["dataConnectionKey"] == ledger["connection"]
        assert op["dataType"] == "invoices" and op["timeoutInMinutes"] == 5
        assert op["data"]["invoiceNumber"] == "INV-9001"

        event = await sandbox.sink.wait_for("invoices.write.successful")
        payload = event["payload"]
        assert payload["id"] == op["pushOperationKey"] and payload["status"] == "Success"
        assert payload["type"] == "Create" and payload["connectionId"] == ledger["connection"]
        assert payload["referenceCompany"]["id"] == ledger["company"]
        record_id = payload["record"]["id"]

        done = await (await http.get(
            f"/companies/{ledger['company']}/push/{op['pushOperationKey']}")).json()
        assert done["status"] == "Success" and done["completedOnUtc"]
        assert done["changes"] == [{"type": "Created",
                                    "recordRef": {"id": record_id, "dataType": "invoices"}}]
        stored = await (await http.get(
            f"/admin/companies/{ledger['company']}/invoices/{record_id}")).json()
        listed = await (await http.get(f"/companies/{ledger['company']}/push")).json()
    assert stored["invoiceNumber"] == "INV-9001" and stored["totalAmount"] == 238.0
    assert stored["modifiedDate"] and stored["metadata"] == {"isDeleted": False}
    assert [o["pushOperationKey"] for o in listed["results"]] == [op["pushOperationKey"]]


async def test_push_with_unknown_customer_fails_with_a_validation_message(sandbox, ledger):
    async with sandbox.client() as http:
        op = await (await http.post(push_path(ledger, "invoices"),
                                    json=invoice(ledger, customer_id="no-such-customer"))).json()
        event = await sandbox.sink.wait_for("invoices.write.unsuccessful")
        done = await (await http.get(
            f"/companies/{ledger['company']}/push/{op['pushOperationKey']}")).json()
        invoices = await (await http.get(f"/admin/companies/{ledger['company']}/invoices")).json()
    assert event["payload"]["status"] == "Failed" and event["payload"]["record"] is None
    assert event["payload"]["id"] == op["pushOperationKey"]
    assert done["status"] == "Failed" and done["completedOnUtc"]
    [error] = done["validation"]["errors"]
    assert error["itemId"] == "customerRef.id" and error["validatorName"] == "ReferenceExists"
    assert "no-such-customer" in error["message"] and "Xero" in error["message"]
    assert not any(i["invoiceNumber"] == "INV-9001" for i in invoices["results"])


@pytest.mark.parametrize("mutate, item_id", [
    (lambda body: body.update(totalAmount=999.0), "totalAmount"),
    (lambda body: body["lineItems"][0].update(taxAmount=20.0), "lineItems[0].taxAmount"),
    (lambda body: body["lineItems"][0]["taxRateRef"].update(id="nope"), "lineItems[0].taxRateRef.id"),
    (lambda body: body.pop("issueDate"), "issueDate"),
    (lambda body: body.update(invoiceNumber="INV-0001"), "invoiceNumber"),
])
async def test_invoice_validation_rules(sandbox, ledger, mutate, item_id):
    body = invoice(ledger)
    mutate(body)
    async with sandbox.client() as http:
        op = await (await http.post(push_path(ledger, "invoices"), json=body)).json()
        await sandbox.settle()
        done = await (await http.get(
            f"/companies/{ledger['company']}/push/{op['pushOperationKey']}")).json()
    assert done["status"] == "Failed"
    assert item_id in [e["itemId"] for e in done["validation"]["errors"]], done["validation"]


async def test_bills_need_lines_and_consistent_totals(sandbox, ledger):
    supplier = ledger["suppliers"][0]["id"]
    rent = pick(ledger["accounts"], nominalCode="469")
    vat = pick(ledger["taxRates"], code="STD19")
    line = {"description": "Rent", "unitAmount": 500.0, "quantity": 1, "subTotal": 500.0,
            "taxAmount": 95.0, "totalAmount": 595.0, "accountRef": {"id": rent["id"]},
            "taxRateRef": {"id": vat["id"]}}
    good = {"reference": "R-1", "supplierRef": {"id": supplier}, "issueDate": "2026-11-01",
            "status": "Open", "lineItems": [line], "subTotal": 500.0, "taxAmount": 95.0,
            "totalAmount": 595.0}
    empty = {**good, "lineItems": []}
    async with sandbox.client() as http:
        ok = await (await http.post(push_path(ledger, "bills"), json=good)).json()
        refused = await (await http.post(push_path(ledger, "bills"), json=empty)).json()
        await sandbox.settle()
        ok = await (await http.get(f"/companies/{ledger['company']}/push/{ok['pushOperationKey']}")).json()
        refused = await (await http.get(
            f"/companies/{ledger['company']}/push/{refused['pushOperationKey']}")).json()
    assert ok["status"] == "Success"
    assert refused["status"] == "Failed"
    assert refused["validation"]["errors"][0]["itemId"] == "lineItems"
    assert sandbox.sink.events("bills.write.successful") and sandbox.sink.events("bills.write.unsuccessful")


async def test_customer_supplier_item_and_payment_pushes(sandbox, ledger):
    bank = pick(ledger["accounts"], nominalCode="090")
    async with sandbox.client() as http:
        pushes = {
            "customers": {"customerName": "Neu Kunde", "status": "Active",
                          "addresses": [{"type": "Billing", "city": "Berlin", "country": "DE"}]},
            "suppliers": {"supplierName": "Neu Lieferant", "status": "Active"},
            "items": {"name": "Widget", "code": "W-1", "itemStatus": "Active", "type": "Service",
                      "isInvoiceItem": True, "isBillItem": False,
                      "invoiceItem": {"unitPrice": 10.0, "accountRef": {"id": ledger["accounts"][2]["id"]}}},
        }
        ops = {}
        for data_type, body in pushes.items():
            ops[data_type] = await (await http.post(push_path(ledger, data_type), json=body)).json()
        invoices = (await (await http.get(f"/admin/companies/{ledger['company']}/invoices")).json())["results"]
        target = pick(invoices, invoiceNumber="INV-0001")
        payment = {"customerRef": dict(target["customerRef"]), "accountRef": {"id": bank["id"]},
                   "date": "2026-11-21", "totalAmount": 50.0, "currency": "EUR",
                   "lines": [{"amount": 50.0, "links": [{"type": "Invoice", "id": target["id"],
                                                         "amount": -50.0}]}]}
        ops["payments"] = await (await http.post(push_path(ledger, "payments"), json=payment)).json()
        await sandbox.settle()
        for data_type, op in ops.items():
            done = await (await http.get(
                f"/companies/{ledger['company']}/push/{op['pushOperationKey']}")).json()
            assert done["status"] == "Success", (data_type, done)
            assert sandbox.sink.events(f"{data_type}.write.successful")


async def test_idempotency_key_replays_the_first_answer_and_creates_one_document(sandbox, ledger):
    body = invoice(ledger, number="INV-IDEM")
    headers = {"Idempotency-Key": "key-1"}
    async with sandbox.client() as http:
        first = await (await http.post(push_path(ledger, "invoices"), json=body, headers=headers)).json()
        await sandbox.settle()
        second = await http.post(push_path(ledger, "invoices"), json=body, headers=headers)
        replay = await second.json()
        conflict = await http.post(push_path(ledger, "invoices"), json={**body, "note": "other"},
                                   headers=headers)
        await sandbox.settle()
        invoices = (await (await http.get(f"/admin/companies/{ledger['company']}/invoices")).json())["results"]
        operations = await (await http.get(f"/companies/{ledger['company']}/push")).json()
    assert second.status == 200 and replay == first
    assert conflict.status == 409 and (await conflict.json())["statusCode"] == 409
    assert [i["invoiceNumber"] for i in invoices].count("INV-IDEM") == 1
    assert operations["totalResults"] == 1
    assert len(sandbox.sink.events("invoices.write.successful")) == 1


async def test_push_to_a_connection_that_is_not_linked_is_refused(sandbox, ledger):
    async with sandbox.client() as http:
        await http.patch(f"/companies/{ledger['company']}/connections/{ledger['connection']}",
                         json={"status": "Unlinked"})
        response = await http.post(push_path(ledger, "invoices"), json=invoice(ledger))
        body = await response.json()
        unknown_type = await http.post(push_path(ledger, "journals"), json={})
    assert response.status == 400 and "Unlinked" in body["error"]
    assert unknown_type.status == 404
