"""Issue 3 from outside: pull, matching per the seeds, and the read API."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest
from monite.core.api_error import ApiError
from monite.errors import UnprocessableEntityError

from tests.support import client, flows
from tests.support.broker import drain, listen


@pytest.fixture(scope="module")
def connected(system, partner, access_token):
    """One entity with a connected, pulled connection, shared by the read-only tests."""
    entity, sdk = flows.register_entity(system, partner, access_token, "Pull & Partner GmbH")
    return entity, sdk, flows.connect(system, sdk, entity)


def test_initial_pull_fills_tax_rates_and_ledger_accounts(connected):
    _, sdk, connection = connected
    assert connection.last_pull is not None
    rates = sdk.accounting.tax_rates.get(limit=250).data
    values = {r.effective_tax_rate for r in rates}
    assert {0, 700, 1900, 2000} <= values
    compound = [r for r in rates if any(c.is_compound for c in r.components or [])]
    assert compound and all(len(r.components) >= 2 for r in compound)
    one = sdk.accounting.tax_rates.get_by_id(rates[0].id)
    assert one.id == rates[0].id and one.name == rates[0].name
    accounts = sdk.accounting.ledger_accounts.get(limit=250).data
    assert len(accounts) >= 20
    assert any(a.is_bank_account for a in accounts) and any(not a.is_bank_account for a in accounts)
    assert sdk.accounting.ledger_accounts.get_by_id(accounts[3].id).name == accounts[3].name


def test_tax_rates_and_accounts_page_both_ways(connected):
    _, sdk, _ = connected
    everything = [a.id for a in sdk.accounting.ledger_accounts.get(limit=250).data]
    forward, page = [], sdk.accounting.ledger_accounts.get(limit=7)
    assert page.prev_pagination_token is None
    while True:
        forward += [a.id for a in page.data]
        if not page.next_pagination_token:
            break
        last = page
        page = sdk.accounting.ledger_accounts.get(limit=7, pagination_token=page.next_pagination_token)
    assert forward == everything
    backward, page = [], last
    while page.prev_pagination_token:
        page = sdk.accounting.ledger_accounts.get(limit=7, pagination_token=page.prev_pagination_token)
        backward = [a.id for a in page.data] + backward
    assert backward == everything[:len(backward)] and len(backward) >= len(everything) - 14
    names = [a.name for a in sdk.accounting.ledger_accounts.get(limit=250, order="desc").data]
    assert names == sorted(names, key=str.casefold, reverse=True) or names == sorted(names, reverse=True)


def test_documents_are_readable(connected):
    _, sdk, _ = connected
    invoices = sdk.accounting.receivables.get(limit=50).data
    assert invoices and all(i.id for i in invoices)
    first = sdk.accounting.receivables.get_by_id(invoices[0].id)
    assert first.invoice_number == invoices[0].invoice_number and first.lines
    bills = sdk.accounting.payables.get(limit=50).data
    assert bills and sdk.accounting.payables.get_by_id(bills[0].id).total_amount == bills[0].total_amount


def test_other_entities_see_nothing_of_it(system, access_token, new_entity, connected):
    _, sdk, _ = connected
    rate = sdk.accounting.tax_rates.get().data[0]
    stranger = client.sdk(system.api_url, access_token, new_entity("Stranger Ltd"))
    assert stranger.accounting.tax_rates.get().data == []
    assert stranger.accounting.ledger_accounts.get().data == []
    assert stranger.accounting.receivables.get().data == []
    with pytest.raises(ApiError) as missing:
        stranger.accounting.tax_rates.get_by_id(rate.id)
    assert missing.value.status_code == 404


def test_customer_matching_two_counterparts_is_an_error(system, access_token, new_entity):
    entity = new_entity("Twins Trading")
    sdk = client.sdk(system.api_url, access_token, entity)
    name = f"Doppel {uuid.uuid4().hex[:6]} GmbH"
    first = flows.counterpart(system, entity, name, country="DE", city="Berlin")
    second = flows.counterpart(system, entity, name, country="DE", city="Berlin")
    unique = flows.counterpart(system, entity, f"Solo {uuid.uuid4().hex[:6]} AG", country="AT")
    connection = flows.connect(system, sdk, entity)
    company = flows.sandbox_company(system, entity)
    for who in (name, f"Solo {unique}"):  # the second never matches: it only shares the prefix
        added = httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/customers", json={
            "customerName": who, "status": "Active",
            "addresses": [{"type": "Billing", "country": "DE", "city": "Berlin", "line1": "Allee 1"}]})
        assert added.status_code == 201, added.text
    flows.sync_and_wait(sdk, connection.id)
    records = {r.object_id: r for r in sdk.accounting.synced_records.get(object_type="customer").data}
    for cid in (first, second):
        assert records[cid].sync_status == "error"
        assert records[cid].errors["code"] == "multiple_matches"
        assert name in records[cid].errors["message"] and records[cid].errors["hint"]
    assert unique not in records  # no match: nothing happens, nothing is created


def test_unique_customer_matches_by_name_then_city(system, access_token, new_entity):
    entity = new_entity("Matchmaker KG")
    sdk = client.sdk(system.api_url, access_token, entity)
    name = f"Einzig {uuid.uuid4().hex[:6]} GmbH"
    munich = flows.counterpart(system, entity, name, country="DE", city="München")
    connection = flows.connect(system, sdk, entity)
    company = flows.sandbox_company(system, entity)
    for city in ("Hamburg", "München"):
        httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/customers", json={
            "customerName": name, "status": "Active",
            "addresses": [{"type": "Billing", "country": "DE", "city": city}]}).raise_for_status()
    flows.sync_and_wait(sdk, connection.id)
    [record] = sdk.accounting.synced_records.get(object_type="customer", object_id=munich).data
    assert record.sync_status == "done" and record.provider_object_id and record.errors is None
    theirs = httpx.get(f"{system.sandbox_url}/admin/companies/{company['id']}/customers").json()["results"]
    matched = next(c for c in theirs if c["id"] == record.provider_object_id)
    assert matched["addresses"][0]["city"] == "München"


def test_new_item_is_discovered_once(system, access_token, new_entity):
    entity = new_entity("Discovery SAS")
    sdk = client.sdk(system.api_url, access_token, entity)
    queue = listen(system.settings.amqp_url, "ledgersync.events", "product.discovered")
    connection = flows.connect(system, sdk, entity)
    company = flows.sandbox_company(system, entity)
    item_name = f"Gizmo {uuid.uuid4().hex[:6]}"
    added = httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/items", json={
        "name": item_name, "itemStatus": "Active", "type": "Service", "isBillItem": False,
        "isInvoiceItem": True, "invoiceItem": {"description": "A gizmo", "unitPrice": 12.5}})
    assert added.status_code == 201, added.text
    flows.sync_and_wait(sdk, connection.id)
    flows.sync_and_wait(sdk, connection.id)  # a second pull discovers nothing new
    events = [json.loads(body) for body, _ in drain(system.settings.amqp_url, queue)]
    mine = [e for e in events if e["data"]["name"] == item_name]
    assert len(mine) == 1
    data = mine[0]["data"]
    assert data["provider_object_id"] == added.json()["id"] and data["price"]["value"] == 1250
    record = sdk.accounting.synced_records.get_by_id(data["synced_record_id"])
    assert record.object_type == "product" and record.sync_status == "done"
    # initial pull discovered the seeded items too, each exactly once
    assert len({e["data"]["provider_object_id"] for e in events}) == len(events)


def test_bad_filters_and_tampered_tokens_are_422(connected, system, access_token):
    entity, sdk, _ = connected
    with pytest.raises(UnprocessableEntityError):
        sdk.accounting.synced_records.get(object_type="spaceship")
    headers = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION,
               "X-Monite-Entity-Id": entity}
    url = f"{system.api_url}/v1/accounting_synced_records"
    for params in ({"object_type": "product", "limit": 251}, {"object_type": "product", "limit": -1},
                   {"object_type": "product", "created_at__gt": "yesterday"},
                   {"object_type": "product", "order": "sideways"}, {"object_type": "product", "sort": "name"},
                   {"object_type": "product", "object_id": "not-a-uuid"}, {}):
        resp = httpx.get(url, headers=headers, params=params)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.json()["detail"]
    for token in ("garbage", "eyJhIjoxfQ.AAAA", "a.b.c"):
        resp = httpx.get(url, headers=headers, params={"pagination_token": token})
        assert resp.status_code == 422 and "pagination_token" in json.dumps(resp.json())
    for url2 in (f"{system.api_url}/v1/accounting_tax_rates", f"{system.api_url}/v1/ledger_accounts"):
        assert httpx.get(url2, headers=headers, params={"pagination_token": "x.y"}).status_code == 422
        assert httpx.get(url2, headers=headers, params={"limit": 500}).status_code == 422


def test_a_counterpart_created_during_the_first_pull_is_matched_not_duplicated(system, partner, access_token):
    entity, sdk = flows.register_entity(system, partner, access_token, "Early Bird GmbH")
    created = sdk.accounting.connections.create()
    company = flows.sandbox_company(system, entity)["id"]
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"latency_ms": 1500})
    flows.consent(created.connection_url)
    flows.wait_status(sdk, created.id, "connected")
    known = flows.counterpart(system, entity, "Contoso Retail BV", country="NL")   # in the seeded ledger
    fresh = flows.counterpart(system, entity, f"Brand New {uuid.uuid4().hex[:6]} BV")  # nowhere yet
    assert sdk.accounting.connections.get_by_id(created.id).last_pull is None  # the first pull is still on
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"latency_ms": None})
    flows.wait_pulled(sdk, created.id)
    assert flows.record_of(sdk, "customer", known, "done").provider_object_id
    assert flows.record_of(sdk, "customer", fresh, "done").platform_object_id
    customers = flows.ledger(system, entity, "customers")
    assert len([c for c in customers if c["customerName"] == "Contoso Retail BV"]) == 1
