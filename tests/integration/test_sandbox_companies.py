"""Sandbox provider: auth, integrations, companies and connections over real HTTP."""
from __future__ import annotations

import base64

import pytest


async def test_healthz_needs_no_auth(sandbox):
    async with sandbox.client(authenticated=False) as http:
        response = await http.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize("header", [None, "Basic " + base64.b64encode(b"wrong-key").decode(),
                                    "Bearer ledgersync-dev-provider-api-key", "Basic !!notbase64"])
async def test_codat_surface_refuses_missing_or_wrong_credentials(sandbox, header):
    headers = {"Authorization": header} if header else {}
    async with sandbox.client(authenticated=False) as http:
        response = await http.get("/companies", headers=headers)
        body = await response.json()
    assert response.status == 401
    assert body["statusCode"] == 401 and body["service"] and body["correlationId"]
    assert body["validation"] is None and body["canBeRetried"] == "Unknown"
    assert body["detailedErrorCode"] == 0


async def test_integrations_list_the_three_platforms_with_codat_shape(sandbox):
    async with sandbox.client() as http:
        page = await (await http.get("/integrations")).json()
        xero = await (await http.get("/integrations/gbol")).json()
        missing = await http.get("/integrations/zzzz")
    by_name = {i["name"]: i for i in page["results"]}
    assert {"Xero", "QuickBooks Online", "QuickBooks Online Sandbox"} <= set(by_name)
    assert by_name["Xero"]["key"] == "gbol" == xero["key"]
    assert by_name["QuickBooks Online"]["key"] == "qhyg"
    assert by_name["QuickBooks Online Sandbox"]["key"] == "ndvw"
    for integration in page["results"]:
        assert {"key", "logoUrl", "name", "enabled", "sourceId", "sourceType",
                "integrationId", "datatypeFeatures"} <= set(integration)
        assert integration["sourceType"] == "Accounting" and integration["enabled"] is True
    assert page["totalResults"] == 3 and page["_links"]["self"]["href"] == "/integrations"
    assert missing.status == 404


async def test_company_and_connection_lifecycle(sandbox):
    async with sandbox.client() as http:
        created = await http.post("/companies", json={
            "name": "Acme GmbH", "description": "entity", "tags": {"entity_id": "e-1"}})
        company = await created.json()
        assert created.status == 200
        assert company["name"] == "Acme GmbH" and company["tags"] == {"entity_id": "e-1"}
        assert company["redirect"] == f"{sandbox.url}/link/{company['id']}"
        assert company["dataConnections"] == []
        base = f"/companies/{company['id']}"

        response = await http.post(f"{base}/connections", json={"platformKey": "gbol"})
        connection = await response.json()
        assert response.status == 200
        assert connection["status"] == "PendingAuth" and connection["platformName"] == "Xero"
        assert connection["integrationKey"] == "gbol" and connection["sourceType"] == "Accounting"
        assert connection["linkUrl"] == (f"{sandbox.url}/link/{company['id']}/connections/"
                                         f"{connection['id']}/start")
        assert connection["dataConnectionErrors"] == [] and "lastSync" not in connection

        listed = await (await http.get(f"{base}/connections")).json()
        assert [c["id"] for c in listed["results"]] == [connection["id"]]
        fetched = await (await http.get(f"{base}/connections/{connection['id']}")).json()
        assert fetched == connection
        again = await (await http.get(base)).json()
        assert [c["id"] for c in again["dataConnections"]] == [connection["id"]]

        unlinked = await http.patch(f"{base}/connections/{connection['id']}",
                                    json={"status": "Unlinked"})
        assert unlinked.status == 200 and (await unlinked.json())["status"] == "Unlinked"
        event = await sandbox.sink.wait_for("connection.disconnected")
        assert event["payload"]["connection"]["status"] == "Unlinked"
        assert event["payload"]["referenceCompany"]["id"] == company["id"]

        bad_patch = await http.patch(f"{base}/connections/{connection['id']}",
                                     json={"status": "Linked"})
        assert bad_patch.status == 400
        assert (await bad_patch.json())["validation"]["errors"][0]["itemId"] == "status"

        assert (await http.delete(f"{base}/connections/{connection['id']}")).status == 200
        assert (await http.get(f"{base}/connections/{connection['id']}")).status == 404
        assert (await http.delete(base)).status == 204
        gone = await http.get(base)
        assert gone.status == 404 and (await gone.json())["statusCode"] == 404


async def test_bad_bodies_answer_400_with_validation_items(sandbox):
    async with sandbox.client() as http:
        no_name = await http.post("/companies", json={"description": "x"})
        not_json = await http.post("/companies", data=b"{not json",
                                   headers={"Content-Type": "application/json"})
        company = await (await http.post("/companies", json={"name": "Acme"})).json()
        bad_key = await http.post(f"/companies/{company['id']}/connections",
                                  json={"platformKey": "nope"})
    body = await no_name.json()
    assert no_name.status == 400
    assert body["validation"]["errors"] == [
        {"itemId": "name", "message": "Name is required", "validatorName": "Required"}]
    assert not_json.status == 400
    assert bad_key.status == 400
    assert (await bad_key.json())["validation"]["errors"][0]["itemId"] == "platformKey"


async def test_unknown_company_and_connection_are_404(sandbox):
    async with sandbox.client() as http:
        company = await (await http.post("/companies", json={"name": "Acme"})).json()
        missing_company = await http.get("/companies/00000000-0000-0000-0000-000000000001")
        missing_connection = await http.get(
            f"/companies/{company['id']}/connections/00000000-0000-0000-0000-000000000002")
    assert missing_company.status == 404 and missing_connection.status == 404
    assert "not found" in (await missing_connection.json())["error"].lower() or \
        "no data connection" in (await missing_connection.json())["error"].lower()


async def test_companies_are_paged_and_filtered_by_tags(sandbox):
    async with sandbox.client() as http:
        for i in range(5):
            await http.post("/companies", json={"name": f"Company {i}",
                                                "tags": {"entity_id": f"e-{i}"}})
        page = await (await http.get("/companies", params={"page": 2, "pageSize": 2})).json()
        tagged = await (await http.get("/companies", params={"tags": "entity_id=e-3"})).json()
    assert page["pageNumber"] == 2 and page["pageSize"] == 2 and page["totalResults"] == 5
    assert [c["name"] for c in page["results"]] == ["Company 2", "Company 3"]
    assert {"next", "previous"} <= set(page["_links"])
    assert [c["name"] for c in tagged["results"]] == ["Company 3"]
