"""Issue 13 from outside: the bookkeeper changes the accounting system between pulls (sandbox admin
API: add, rename, delete, archive, duplicate names) on Xero and on QuickBooks Online; ledgersync
never duplicates what is there and never regresses what is mapped."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support import client, flows

PLATFORMS = ["Xero", "QuickBooks Online"]


@pytest.fixture(scope="module", params=PLATFORMS)
def books(request, system, partner, access_token):
    """An entity connected to that platform, first pull done: (entity, sdk, connection, platform)."""
    entity, sdk = flows.register_entity(system, partner, access_token, f"Truth {request.param} GmbH")
    return entity, sdk, flows.connect(system, sdk, entity, request.param), request.param


def _base(system, entity: str, data_type: str) -> str:
    return f"{system.sandbox_url}/admin/companies/{flows.sandbox_company(system, entity)['id']}/{data_type}"


def add(system, entity: str, data_type: str, name: str, city: str) -> dict:
    field = "customerName" if data_type == "customers" else "supplierName"
    response = httpx.post(_base(system, entity, data_type), json={
        field: name, "status": "Active", "addresses": [{"type": "Billing", "country": "DE", "city": city}]})
    assert response.status_code == 201, response.text
    return response.json()


def change(system, entity: str, data_type: str, record_id: str, **fields) -> None:
    url = f"{_base(system, entity, data_type)}/{record_id}"
    response = httpx.put(url, json={**httpx.get(url).json(), **fields})
    assert response.status_code == 200, response.text


def named(system, entity: str, data_type: str, name: str, *, active_only: bool = True) -> list[dict]:
    field = "customerName" if data_type == "customers" else "supplierName"
    return [r for r in flows.ledger(system, entity, data_type) if r.get(field) == name
            and (not active_only or r.get("status") != "Archived")]


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def test_added_between_pulls_is_linked_not_duplicated_and_stays_linked(system, books):
    entity, sdk, connection, _ = books
    name = unique("Split")
    add(system, entity, "customers", name, "Berlin")
    munich = add(system, entity, "customers", name, "Munich")
    counterpart = flows.counterpart(system, entity, name, country="DE", city="Munich")
    record = flows.record_of(sdk, "customer", counterpart)
    assert record.sync_status == "done" and record.platform_object_id == munich["id"], record.errors
    assert sorted(r["addresses"][0]["city"] for r in named(system, entity, "customers", name)) == ["Berlin", "Munich"]
    # a third "Split" in Munich and a rename of the mapped one: the mapping neither regresses nor moves
    add(system, entity, "customers", name, "Munich")
    change(system, entity, "customers", munich["id"], customerName=f"{name} München")
    flows.sync_and_wait(sdk, connection.id)
    [after] = sdk.accounting.synced_records.get(object_type="customer", object_id=counterpart).data
    assert (after.sync_status, after.platform_object_id) == ("done", munich["id"])


def test_two_that_cannot_be_told_apart_are_named_and_nothing_is_created(system, books):
    entity, sdk, _, _ = books
    name = unique("Twin")
    first, second = add(system, entity, "customers", name, "Munich"), add(system, entity, "customers", name, "Munich")
    counterpart = flows.counterpart(system, entity, name, country="DE", city="Munich")
    record = flows.record_of(sdk, "customer", counterpart)
    assert record.sync_status == "error" and record.errors["code"] == "multiple_matches"
    assert first["id"] in record.errors["message"] and second["id"] in record.errors["message"]
    assert len(named(system, entity, "customers", name)) == 2


def test_a_mapped_contact_archived_or_deleted_there_is_explained_and_a_manual_push_restores_it(system, books):
    entity, sdk, connection, _ = books
    archived_name, deleted_name = unique("Archiv"), unique("Geloescht")
    archived = flows.counterpart(system, entity, archived_name, country="DE", city="Köln")
    deleted = flows.counterpart(system, entity, deleted_name, country="DE", city="Bonn")
    before = {cid: flows.record_of(sdk, "customer", cid, "done") for cid in (archived, deleted)}
    change(system, entity, "customers", before[archived].platform_object_id, status="Archived")
    assert httpx.delete(f"{_base(system, entity, 'customers')}/{before[deleted].platform_object_id}").status_code == 204
    flows.sync_and_wait(sdk, connection.id)
    for cid, how in ((archived, "archived"), (deleted, "deleted")):
        [gone] = sdk.accounting.synced_records.get(object_type="customer", object_id=cid).data
        assert gone.sync_status == "error" and gone.errors["code"] == "mapped_object_deleted"
        assert how in gone.errors["message"] and "push this record again" in gone.errors["hint"]
    # the bookkeeper re-adds the deleted one by hand: the manual push links to it; the archived one is created
    readded = add(system, entity, "customers", deleted_name, "Bonn")
    for cid in (archived, deleted):
        sdk.accounting.synced_records.push_by_id(before[cid].id)
    relinked = flows.record_of(sdk, "customer", deleted, "done")
    recreated = flows.record_of(sdk, "customer", archived, "done")
    assert relinked.platform_object_id == readded["id"]
    assert recreated.platform_object_id != before[archived].platform_object_id
    assert [r["id"] for r in named(system, entity, "customers", archived_name)] == [recreated.platform_object_id]
    assert [r["id"] for r in named(system, entity, "customers", deleted_name)] == [readded["id"]]


def test_both_roles_end_done_under_one_name_without_a_duplicate(system, books):
    entity, sdk, _, platform = books
    name = unique("Beides")
    counterpart = flows.counterpart(system, entity, name, country="DE", city="Hamburg", customer=True, vendor=True)
    customer = flows.record_of(sdk, "customer", counterpart)
    vendor = flows.record_of(sdk, "vendor", counterpart)
    assert (customer.sync_status, vendor.sync_status) == ("done", "done"), (customer.errors, vendor.errors)
    assert [r["id"] for r in named(system, entity, "customers", name)] == [customer.platform_object_id]
    if platform == "Xero":  # one contact, both roles: the vendor links to it
        assert vendor.platform_object_id == customer.platform_object_id
        assert named(system, entity, "suppliers", name) == []
    else:  # QuickBooks Online: display names are unique across customers and vendors
        assert [r["id"] for r in named(system, entity, "suppliers", f"{name} (vendor)")] == [vendor.platform_object_id]
    rates = {r.effective_tax_rate: r.id for r in sdk.accounting.tax_rates.get(limit=250).data if r.status == "Active"}
    accounts = {a.nominal_code: a.id for a in sdk.accounting.ledger_accounts.get(limit=250).data}
    bill = flows.bill_data(counterpart, [{"name": "Paper", "quantity": 1, "unit_price": 1000, "_rate": 1900,
                                          "tax_rate_ref_id": rates[1900], "ledger_account_id": accounts["461"]}])
    client.publish(system.settings.amqp_url, client.cloud_event("payable.issued", bill, entity))
    pushed = flows.record_of(sdk, "bill", bill["id"])
    assert pushed.sync_status == "done", pushed.errors


def test_older_bills_credit_notes_and_payments_stay_out(system, books):
    entity, sdk, connection, _ = books
    long_ago, product = connection.created_at - timedelta(days=30), str(uuid.uuid4())
    vendor = flows.counterpart(system, entity, unique("Altlieferant"), customer=False, vendor=True)
    customer = flows.counterpart(system, entity, unique("Altkunde"))
    flows.record_of(sdk, "vendor", vendor, "done")
    old_bill = flows.bill_data(vendor, [{"name": "Old", "quantity": 1, "unit_price": 1000}],
                               issued_at=long_ago.date())
    old_invoice = flows.invoice_data(customer, [(product, "Old", 1, 1000, 0)], issued_at=long_ago)
    client.publish(system.settings.amqp_url, client.cloud_event("payable.issued", old_bill, entity),
                   client.cloud_event("receivable.issued", old_invoice, entity))
    marker = flows.counterpart(system, entity, unique("Marker"))  # processed after the older invoice
    flows.record_of(sdk, "customer", marker, "done")

    def note(invoice_id: str) -> dict:
        return {**flows.invoice_data(customer, [(product, "Credit", 1, 500, 0)]), "based_on": invoice_id}

    def payment(invoice_id: str) -> dict:
        return {"id": str(uuid.uuid4()), "object": {"type": "receivable", "id": invoice_id}, "amount": 1000,
                "currency": "EUR", "paid_at": datetime.now(UTC).isoformat()}
    older = {"credit_note": note(old_invoice["id"]), "payment_record": payment(old_invoice["id"])}
    control = {"credit_note": note(str(uuid.uuid4())), "payment_record": payment(str(uuid.uuid4()))}
    events = {"credit_note": "credit_note.issued", "payment_record": "payment_record.created"}
    client.publish(system.settings.amqp_url, *[client.cloud_event(events[k], d, entity)
                                               for batch in (older, control) for k, d in batch.items()])
    for kind, data in control.items():  # the same documents for an invoice not known as older are pushed
        flows.record_of(sdk, kind, data["id"])
    for kind, data in (("bill", old_bill), ("receivable", old_invoice), *older.items()):
        assert sdk.accounting.synced_records.get(object_type=kind, object_id=data["id"]).data == [], kind
    assert old_bill["document_id"] not in {b.get("reference") for b in flows.ledger(system, entity, "bills")}
