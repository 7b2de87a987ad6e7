"""Sandbox provider: refresh, the seeded ledger, paging and the query language."""
from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")
DATASETS = ("accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills",
            "creditNotes", "payments", "billPayments")


async def linked_company(sandbox, http) -> dict:
    company = await (await http.post("/companies", json={"name": "Acme GmbH"})).json()
    await http.post(f"/link/{company['id']}", data={"platform": "Xero"})
    return company


async def refreshed_company(sandbox, http) -> dict:
    company = await linked_company(sandbox, http)
    assert (await http.post(f"/companies/{company['id']}/data/all")).status == 204
    await sandbox.sink.wait_for("read.completed",
                                lambda e: e["payload"]["referenceCompany"]["id"] == company["id"])
    return company


async def test_lists_answer_409_until_the_dataset_is_refreshed(sandbox):
    async with sandbox.client() as http:
        company = await linked_company(sandbox, http)
        before = await http.get(f"/companies/{company['id']}/data/invoices")
        body = await before.json()
        assert before.status == 409 and body["statusCode"] == 409
        assert "has not been requested" in body["error"]
        assert (await http.post(f"/companies/{company['id']}/data/all")).status == 204
        event = await sandbox.sink.wait_for("read.completed")
        after = await http.get(f"/companies/{company['id']}/data/invoices")
        assert after.status == 200
    summaries = {s["dataType"]: s for s in event["payload"]["dataTypes"]}
    assert set(summaries) == {"chartOfAccounts", "taxRates", "customers", "suppliers", "items",
                              "invoices", "bills", "creditNotes", "payments", "billPayments"}
    assert all(s["status"] == "Complete" and s["issues"] == [] and s["recordsModified"]
               for s in summaries.values())
    connection_id = sandbox.state.companies[company["id"]].linked()[0].id
    assert {s["connectionId"] for s in summaries.values()} == {connection_id}


async def test_refresh_without_a_linked_connection_ends_in_an_auth_error(sandbox):
    async with sandbox.client() as http:
        company = await (await http.post("/companies", json={"name": "Acme"})).json()
        await http.post(f"/companies/{company['id']}/connections", json={"platformKey": "gbol"})
        await http.post(f"/companies/{company['id']}/data/all")
        event = await sandbox.sink.wait_for("read.completed")
        status = await (await http.get(f"/companies/{company['id']}/dataStatus")).json()
        history = await (await http.get(f"/companies/{company['id']}/data/history")).json()
        still = await http.get(f"/companies/{company['id']}/data/accounts")
    assert {s["status"] for s in event["payload"]["dataTypes"]} == {"AuthError"}
    assert event["payload"]["dataTypes"][0]["issues"][0]["message"]
    assert status["invoices"]["currentStatus"] == "AuthError"
    assert all(op["isErrored"] and op["errorMessage"] for op in history["results"])
    assert still.status == 409


async def test_queue_one_data_type_returns_a_pull_operation(sandbox):
    async with sandbox.client() as http:
        company = await linked_company(sandbox, http)
        connection_id = sandbox.state.companies[company["id"]].linked()[0].id
        response = await http.post(f"/companies/{company['id']}/data/queue/chartOfAccounts",
                                   params={"connectionId": connection_id})
        op = await response.json()
        assert response.status == 200
        assert op["status"] == "Queued" and op["dataType"] == "chartOfAccounts"
        assert op["connectionId"] == connection_id and op["isCompleted"] is False
        event = await sandbox.sink.wait_for("read.completed")
        done = await (await http.get(f"/companies/{company['id']}/data/history/{op['id']}")).json()
        accounts = await http.get(f"/companies/{company['id']}/data/accounts")
        invoices = await http.get(f"/companies/{company['id']}/data/invoices")
    assert [s["dataType"] for s in event["payload"]["dataTypes"]] == ["chartOfAccounts"]
    assert done["status"] == "Complete" and done["isCompleted"] and done["completed"]
    assert accounts.status == 200 and invoices.status == 409


async def test_seeded_ledger_is_believable_and_consistent(sandbox):
    async with sandbox.client() as http:
        company = await refreshed_company(sandbox, http)
        data = {}
        for name in DATASETS:
            page = await (await http.get(f"/companies/{company['id']}/data/{name}",
                                         params={"pageSize": 500})).json()
            data[name] = page["results"]
    accounts = data["accounts"]
    assert len(accounts) >= 20
    assert {a["type"] for a in accounts} == {"Asset", "Expense", "Income", "Liability", "Equity"}
    assert any(a["isBankAccount"] and a["nominalCode"] == "090" for a in accounts)
    assert [a["status"] for a in accounts].count("Archived") == 1
    rates = {r["name"]: r for r in data["taxRates"]}
    assert {"Tax Exempt", "Reduced Rate", "Standard Rate 19%", "Standard Rate 20%"} <= set(rates)
    compound = rates["GST + PST compound"]
    assert [c["isCompound"] for c in compound["components"]] == [False, True]
    assert compound["totalTaxRate"] == 12.0 and compound["effectiveTaxRate"] == 12.35
    customers = data["customers"]
    acme = [c for c in customers if c["customerName"] == "Acme Trading"]
    assert len({c["addresses"][0]["country"] for c in acme}) == 2
    nordwind = [c for c in customers if c["customerName"] == "Nordwind GmbH"]
    assert len({c["addresses"][0]["city"] for c in nordwind}) == 2
    blue = [c["addresses"][0] for c in customers if c["customerName"] == "Blue Harbor Ltd"]
    assert len({(a["country"], a["city"]) for a in blue}) == 1 and len({a["line1"] for a in blue}) == 2
    assert 6 <= len(data["items"]) <= 10
    ids = {name: {r["id"] for r in records} for name, records in data.items()}
    for record in (r for name in DATASETS for r in data[name]):
        assert record["id"] and record["modifiedDate"] and record["sourceModifiedDate"]
        assert record["metadata"] == {"isDeleted": False}
    for invoice in data["invoices"] + data["bills"]:
        lines = invoice["lineItems"]
        for line in lines:
            assert Decimal(str(line["subTotal"])) + Decimal(str(line["taxAmount"])) == \
                Decimal(str(line["totalAmount"]))
            assert line["taxRateRef"]["id"] in ids["taxRates"]
            assert line["accountRef"]["id"] in ids["accounts"]
        total = sum(Decimal(str(line["totalAmount"])) for line in lines)
        assert Decimal(str(invoice["totalAmount"])) == total
    assert {i["customerRef"]["id"] for i in data["invoices"]} <= ids["customers"]
    assert {b["supplierRef"]["id"] for b in data["bills"]} <= ids["suppliers"]


async def test_paging_links_and_totals(sandbox):
    async with sandbox.client() as http:
        company = await refreshed_company(sandbox, http)
        path = f"/companies/{company['id']}/data/accounts"
        first = await (await http.get(path, params={"pageSize": 7})).json()
        second = await (await http.get(first["_links"]["next"]["href"])).json()
        everything = await (await http.get(path, params={"pageSize": 5000})).json()
        bad = await http.get(path, params={"pageSize": 0})
        beyond = await (await http.get(path, params={"page": 99, "pageSize": 7})).json()
    total = first["totalResults"]
    assert first["pageNumber"] == 1 and first["pageSize"] == 7 and len(first["results"]) == 7
    assert first["_links"]["self"] == {"href": path}
    assert first["_links"]["current"]["href"] == f"{path}?page=1&pageSize=7"
    assert "previous" not in first["_links"]
    assert second["pageNumber"] == 2 and second["_links"]["previous"]["href"].endswith("page=1&pageSize=7")
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    assert everything["pageSize"] == 2000 and len(everything["results"]) == total
    assert "next" not in everything["_links"]
    assert bad.status == 400 and (await bad.json())["validation"]["errors"][0]["itemId"] == "pageSize"
    assert beyond["results"] == [] and beyond["totalResults"] == total


async def test_query_and_order_by(sandbox):
    async with sandbox.client() as http:
        company = await refreshed_company(sandbox, http)
        path = f"/companies/{company['id']}/data"

        async def results(name, **params):
            response = await http.get(f"{path}/{name}", params=params)
            assert response.status == 200, await response.text()
            return await response.json()

        banks = await results("accounts", query="isBankAccount=true")
        expenses = await results("accounts", query="type=Expense&&status!=Archived",
                                 orderBy="-nominalCode")
        contains = await results("customers", query="customerName~harbor")
        nested = await results("customers", query="addresses.country=FR||addresses.city=Munich")
        older = await results("invoices", query="modifiedDate<2000-01-01T00:00:00Z")
        newer = await results("invoices", query="modifiedDate>2000-01-01T00:00:00Z")
        paged = await results("customers", query="customerName=Acme Trading", pageSize=1)
        malformed = await http.get(f"{path}/customers", params={"query": "&&"})
    assert {a["nominalCode"] for a in banks["results"]} == {"090", "091"}
    codes = [a["nominalCode"] for a in expenses["results"]]
    assert codes == sorted(codes, reverse=True) and "499" not in codes and "310" in codes
    assert {c["customerName"] for c in contains["results"]} == {"Blue Harbor Ltd"}
    assert {c["addresses"][0]["city"] for c in nested["results"]} == {"Paris", "Munich"}
    assert older["totalResults"] == 0 and newer["totalResults"] == 4
    assert paged["totalResults"] == 2 and len(paged["results"]) == 1
    assert "query=customerName%3DAcme+Trading" in paged["_links"]["next"]["href"]
    assert malformed.status == 400


async def test_single_records_and_unknown_ids(sandbox):
    async with sandbox.client() as http:
        company = await refreshed_company(sandbox, http)
        path = f"/companies/{company['id']}/data"
        items = await (await http.get(f"{path}/items")).json()
        one = await http.get(f"{path}/items/{items['results'][0]['id']}")
        missing = await http.get(f"{path}/items/nope")
        unknown_type = await http.get(f"{path}/journals")
    assert one.status == 200 and await one.json() == items["results"][0]
    assert missing.status == 404 and unknown_type.status == 404
