"""Sandbox provider: the platforms' contact-name rules, per connection, as refused writes."""
from __future__ import annotations

import pytest

from services.sandbox_provider.platform_rules import name_clash


async def _linked(sandbox, http, platform: str) -> tuple[str, str]:
    company = await (await http.post("/companies", json={"name": f"Rules {platform}"})).json()
    await http.post(f"/link/{company['id']}", data={"platform": platform})
    return company["id"], sandbox.state.companies[company["id"]].linked()[0].id


async def _push(sandbox, http, company: str, connection: str, data_type: str, body: dict) -> dict:
    """The settled push operation of one contact write."""
    op = await (await http.post(f"/companies/{company}/connections/{connection}/push/{data_type}",
                                json={"status": "Active", **body})).json()
    await sandbox.settle()
    return await (await http.get(f"/companies/{company}/push/{op['pushOperationKey']}")).json()


async def test_xero_refuses_a_second_active_contact_with_the_same_name(sandbox):
    async with sandbox.client() as http:
        company, connection = await _linked(sandbox, http, "Xero")
        first = await _push(sandbox, http, company, connection, "customers", {"customerName": "Split"})
        again = await _push(sandbox, http, company, connection, "customers", {"customerName": " split "})
        as_supplier = await _push(sandbox, http, company, connection, "suppliers", {"supplierName": "SPLIT"})
        other = await _push(sandbox, http, company, connection, "suppliers", {"supplierName": "Splitter"})
        contact_id = first["changes"][0]["recordRef"]["id"]
        base = f"/admin/companies/{company}/customers/{contact_id}"
        record = await (await http.get(base)).json()
        await http.put(base, json={**record, "status": "Archived"})
        after_archive = await _push(sandbox, http, company, connection, "customers", {"customerName": "Split"})
    assert first["status"] == "Success" and other["status"] == "Success"
    for refused in (again, as_supplier):
        assert refused["status"] == "Failed" and refused["statusCode"] == 400
        [error] = refused["validation"]["errors"]
        assert error["validatorName"] == "DuplicateName"
        assert "must be unique across all active contacts" in error["message"]
        assert "already assigned to another contact" in refused["errorMessage"]
    assert after_archive["status"] == "Success"


async def test_quickbooks_display_names_are_unique_across_customers_and_vendors(sandbox):
    async with sandbox.client() as http:
        company, connection = await _linked(sandbox, http, "QuickBooks Online")
        vendor = await _push(sandbox, http, company, connection, "suppliers", {"supplierName": "Split"})
        customer = await _push(sandbox, http, company, connection, "customers", {"customerName": "split"})
        suffixed = await _push(sandbox, http, company, connection, "customers",
                               {"customerName": "Split (customer)"})
    assert vendor["status"] == "Success" and suffixed["status"] == "Success"
    assert customer["status"] == "Failed"
    [error] = customer["validation"]["errors"]
    assert error["itemId"] == "customerName" and "6240" in error["message"]


async def test_a_xero_bill_may_name_a_customer_contact_as_its_supplier(sandbox):
    async with sandbox.client() as http:
        company, connection = await _linked(sandbox, http, "Xero")
        pushed = await _push(sandbox, http, company, connection, "customers", {"customerName": "Both Roles"})
        contact = pushed["changes"][0]["recordRef"]["id"]
        accounts = (await (await http.get(f"/admin/companies/{company}/accounts")).json())["results"]
        expense = next(a for a in accounts if a.get("type") == "Expense")
        bill = {"supplierRef": {"id": contact}, "issueDate": "2026-11-20T00:00:00", "status": "Open",
                "currency": "EUR", "subTotal": 10.0, "taxAmount": 0.0, "totalAmount": 10.0,
                "lineItems": [{"unitAmount": 10.0, "quantity": 1, "subTotal": 10.0, "taxAmount": 0.0,
                               "totalAmount": 10.0, "accountRef": {"id": expense["id"]}}]}
        xero_bill = await _push(sandbox, http, company, connection, "bills", bill)
        company_q, connection_q = await _linked(sandbox, http, "QuickBooks Online")
        pushed_q = await _push(sandbox, http, company_q, connection_q, "customers", {"customerName": "Both"})
        accounts_q = (await (await http.get(f"/admin/companies/{company_q}/accounts")).json())["results"]
        expense_q = next(a for a in accounts_q if a.get("type") == "Expense")
        bill["supplierRef"] = {"id": pushed_q["changes"][0]["recordRef"]["id"]}
        bill["lineItems"][0]["accountRef"] = {"id": expense_q["id"]}
        qbo_bill = await _push(sandbox, http, company_q, connection_q, "bills", bill)
    assert xero_bill["status"] == "Success", xero_bill.get("errorMessage")
    assert qbo_bill["status"] == "Failed" and "does not exist" in qbo_bill["errorMessage"]


async def test_the_admin_api_writes_duplicates_as_an_import_would(sandbox):
    async with sandbox.client() as http:
        company, _ = await _linked(sandbox, http, "Xero")
        base = f"/admin/companies/{company}/customers"
        for city in ("Berlin", "Munich"):
            added = await http.post(base, json={"customerName": "Split", "status": "Active",
                                                "addresses": [{"type": "Billing", "city": city}]})
            assert added.status == 201
        listed = (await (await http.get(base)).json())["results"]
    assert sorted(a["city"] for c in listed if c["customerName"] == "Split" for a in c["addresses"]) == \
        ["Berlin", "Munich"]


@pytest.mark.parametrize(("platform", "data_type", "body", "own_id", "clashes"), [
    ("Xero", "customers", {"customerName": "Split"}, None, True),
    ("Xero", "customers", {"customerName": "Split"}, "c-1", False),          # an update of itself
    ("Xero", "suppliers", {"supplierName": "Split"}, "c-1", False),          # the same contact
    ("Xero", "customers", {"customerName": "Split", "status": "Archived"}, None, False),
    ("Xero", "customers", {"customerName": "Gone"}, None, False),            # deleted holder
    ("QuickBooks Online", "suppliers", {"supplierName": "split"}, None, True),
    ("QuickBooks Online Sandbox", "suppliers", {"supplierName": "Split"}, None, True),
    ("Sage", "customers", {"customerName": "Split"}, None, False),           # no rule known
])
def test_name_clash_table(platform, data_type, body, own_id, clashes):
    ledger = {"customers": {"c-1": {"id": "c-1", "customerName": "Split ", "status": "Active"},
                            "c-2": {"id": "c-2", "customerName": "Gone", "status": "Active",
                                    "metadata": {"isDeleted": True}}},
              "suppliers": {}}
    assert bool(name_clash(data_type, body, ledger, platform, own_id)) is clashes
