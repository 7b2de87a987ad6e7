"""Bills, credit notes and payment records: what is pushed, what waits, what stays out."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.support import client
from tests.support.flows import bill_data, invoice_data
from tests.support.shop import settle_write


def bill_of(shop, **extra) -> dict:
    line = {"name": "Paper", "quantity": 2, "unit_price": 1500, "tax_rate_ref_id": shop.tax_rate("tax-19"),
            "ledger_account_id": shop.account("acc-sales"), "_rate": 1900}
    return bill_data(shop.vendor_id, [line], **extra)


async def finish_all(pipeline, double, data_type: str) -> None:
    for write in double.writes_of(data_type):
        if double.written.get(write.idempotency_key) is None:
            await settle_write(pipeline, double, write)


async def test_a_bill_canceled_after_it_is_done_is_voided_in_place(shop, pipeline, double):
    bill = bill_of(shop)
    await pipeline.event("payable.issued", bill, shop.entity_id)
    await pipeline.run()
    [created] = double.writes_of("bills")
    assert created.method == "push" and created.body["counterpart"] == "supp-known"
    assert created.body["tax"] == ["tax-19"] and created.body["accounts"] == ["acc-sales"]
    await finish_all(pipeline, double, "bills")
    done = await pipeline.record("bill", bill["id"])
    assert done["sync_status"] == "done"

    canceled = {**bill, "status": "canceled", "updated_at": datetime.now(UTC).isoformat()}
    await pipeline.event("payable.canceled", canceled, shop.entity_id)
    await pipeline.run()
    _, void = double.writes_of("bills")
    assert void.method == "update" and void.record_id == done["platform_object_id"]
    assert void.body["status"] == "canceled" and void.idempotency_key != created.idempotency_key
    record = await pipeline.record("bill", bill["id"])
    assert (record["sync_status"], record["push_generation"]) == ("pending", 1)
    await finish_all(pipeline, double, "bills")
    record = await pipeline.record("bill", bill["id"])
    assert (record["sync_status"], record["platform_object_id"]) == ("done", done["platform_object_id"])
    assert [w.method for w in double.writes_of("bills")] == ["push", "update"]  # never a second bill


async def test_a_bill_missing_its_tax_rate_and_account_is_an_error_naming_each(shop, pipeline, double):
    ink = {"name": "Ink", "quantity": 1, "unit_price": 100, "tax_rate_ref_id": str(uuid.uuid4()),
           "ledger_account_id": shop.account("acc-sales")}
    bill = bill_data(shop.vendor_id, [{"name": "Toner", "quantity": 1, "unit_price": 9900}, ink])
    await pipeline.event("payable.issued", bill, shop.entity_id)
    await pipeline.run()
    record = await pipeline.record("bill", bill["id"])
    assert record["sync_status"] == "error"
    assert [d["code"] for d in record["errors"]["details"]] == \
        ["tax_rate_ref_missing", "ledger_account_missing", "tax_rate_not_found"]
    assert "Toner" in record["errors"]["details"][0]["message"] and "Ink" in record["errors"]["details"][2]["message"]
    assert double.writes_of("bills") == []


async def test_credit_notes_and_payments_of_an_invoice_older_than_the_connection_stay_out(shop, pipeline, double):
    old = invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000, 1900)],
                       issued_at=datetime.now(UTC) - timedelta(days=30))
    await pipeline.event("receivable.issued", old, shop.entity_id)
    credit = {**invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000, 1900)]),
              "based_on": old["id"]}
    await pipeline.event("credit_note.issued", credit, shop.entity_id)
    payment = {"id": str(uuid.uuid4()), "object": {"type": "receivable", "id": old["id"]}, "amount": 11900,
               "currency": "EUR", "paid_at": datetime.now(UTC).isoformat()}
    await pipeline.event("payment_record.created", payment, shop.entity_id)
    await pipeline.run()
    for kind, document in (("receivable", old), ("credit_note", credit), ("payment_record", payment)):
        assert await pipeline.record(kind, document["id"]) is None, kind
    assert double.writes == []


async def test_a_payment_of_a_payable_is_not_pushed(shop, pipeline, double):
    payment = {"id": str(uuid.uuid4()), "object": {"type": "payable", "id": str(uuid.uuid4())}, "amount": 500,
               "currency": "EUR", "paid_at": datetime.now(UTC).isoformat()}
    await pipeline.event("payment_record.created", payment, shop.entity_id)
    await pipeline.run()
    assert await pipeline.record("payment_record", payment["id"]) is None and double.writes == []


async def test_a_credit_note_of_a_new_invoice_is_pushed(shop, pipeline, double):
    invoice = invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000, 1900)])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    credit = {**invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000, 1900)]),
              "based_on": invoice["id"]}
    await pipeline.event("credit_note.issued", credit, shop.entity_id)
    await pipeline.run()
    [written] = double.writes_of("creditNotes")
    assert written.body["id"] == credit["id"] and written.body["counterpart"] == "cust-known"


async def test_a_payment_needs_the_payments_account_then_waits_for_its_invoice_and_links_it(shop, pipeline, double):
    invoice = invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000, 1900)])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    payment = {"id": str(uuid.uuid4()), "object": {"type": "receivable", "id": invoice["id"]}, "amount": 11900,
               "currency": "EUR", "paid_at": datetime.now(UTC).isoformat()}
    await pipeline.event("payment_record.created", payment, shop.entity_id)
    await pipeline.run()
    record = await pipeline.record("payment_record", payment["id"])
    assert record["sync_status"] == "error"
    assert record["errors"]["code"] == "ledger_account_not_set"
    assert "ledger_account_ids.payments" in record["errors"]["message"]

    settings = {"accounting": {"ledger_account_ids": {"payments": shop.account("acc-bank")}}}
    await pipeline.event("entity.updated", client.entity_data(shop.entity_id, shop.partner.partner_id,
                                                              settings=settings), shop.entity_id)
    response = await pipeline.api.post(f"/v1/accounting_synced_records/{record['id']}/push", headers=shop.headers)
    assert response.status == 200 and (await response.json())["sync_status"] == "pending"
    await pipeline.run()
    assert double.writes_of("payments") == []  # the invoice is still in flight
    assert (await pipeline.record("payment_record", payment["id"]))["waiting_for"] == \
        (await pipeline.record("receivable", invoice["id"]))["id"]
    await finish_all(pipeline, double, "invoices")
    [paid] = double.writes_of("payments")
    assert paid.body["invoice"] == (await pipeline.record("receivable", invoice["id"]))["platform_object_id"]
    assert paid.body["accounts"] == ["acc-bank"]
