"""Sandbox provider: the admin API (companies, dataset CRUD, webhooks log)."""
from __future__ import annotations


async def test_admin_lists_every_company_with_its_connections(sandbox):
    async with sandbox.client() as http:
        company = await (await http.post("/companies", json={
            "name": "Acme", "tags": {"entity_id": "e-9"}})).json()
        connection = await (await http.post(f"/companies/{company['id']}/connections",
                                            json={"platformKey": "qhyg"})).json()
    async with sandbox.client(authenticated=False) as admin:
        listed = await (await admin.get("/admin/companies")).json()
        one = await (await admin.get(f"/admin/companies/{company['id']}")).json()
    assert listed == [{"id": company["id"], "name": "Acme", "provider": "codat", "tags": {"entity_id": "e-9"},
                       "connections": [{"id": connection["id"], "platformName": "QuickBooks Online",
                                        "status": "PendingAuth"}]}]
    assert one["codat"]["id"] == company["id"]


async def test_admin_record_crud_shows_in_the_codat_lists(sandbox):
    async with sandbox.client() as http:
        company_id = (await (await http.post("/companies", json={"name": "Acme"})).json())["id"]
        await http.post(f"/link/{company_id}", data={"platform": "Xero"})
        await http.post(f"/companies/{company_id}/data/all")
        await sandbox.sink.wait_for("read.completed")
        base = f"/admin/companies/{company_id}/customers"
        before = (await (await http.get(base)).json())["results"]

        created = await http.post(base, json={"customerName": "Zeta AG", "status": "Active",
                                              "addresses": [{"type": "Billing", "country": "CH"}]})
        record = await created.json()
        assert created.status == 201 and record["id"] and record["modifiedDate"]
        assert record["metadata"] == {"isDeleted": False}
        chosen = await (await http.post(base, json={"id": "cust-42", "customerName": "Fixed Id",
                                                    "status": "Active"})).json()
        assert chosen["id"] == "cust-42"

        changed = await http.put(f"{base}/{record['id']}", json={"customerName": "Zeta Holding AG",
                                                                 "status": "Active"})
        updated = await changed.json()
        assert changed.status == 200 and updated["id"] == record["id"]
        assert updated["customerName"] == "Zeta Holding AG"
        assert updated["modifiedDate"] >= record["modifiedDate"]

        codat = await (await http.get(f"/companies/{company_id}/data/customers",
                                      params={"query": "customerName~Zeta"})).json()
        assert [c["id"] for c in codat["results"]] == [record["id"]]

        assert (await http.delete(f"{base}/{record['id']}")).status == 204
        assert (await http.delete(f"{base}/{record['id']}")).status == 404
        assert (await http.put(f"{base}/missing", json={})).status == 404
        after = (await (await http.get(base)).json())["results"]
        assert len(after) == len(before) + 1
        unknown = await http.get(f"/admin/companies/{company_id}/journals")
        assert unknown.status == 404 and "journals" in (await unknown.json())["error"]
        assert (await http.get("/admin/companies/nope/customers")).status == 404


async def test_webhooks_log_shows_what_was_sent(sandbox):
    async with sandbox.client() as http:
        company_id = (await (await http.post("/companies", json={"name": "Acme"})).json())["id"]
        await http.post(f"/link/{company_id}", data={"platform": "Xero"})
        await http.post(f"/admin/companies/{company_id}/deauthorize")
        await sandbox.settle()
        log = await (await http.get("/admin/webhooks")).json()
        filtered = await (await http.get("/admin/webhooks",
                                         params={"eventType": "connection.disconnected"})).json()
    assert [(e["eventType"], e["status"], e["attempts"]) for e in log["results"]] == [
        ("connection.connected", "delivered", 1), ("connection.disconnected", "delivered", 1)]
    assert [e["id"] for e in log["results"]] == [e["id"] for e in sandbox.sink.events()]
    assert [e["eventType"] for e in filtered["results"]] == ["connection.disconnected"]
