"""An issued invoice's way to done: pushed once, after its counterpart, never on a stale event."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.support.shop import counterpart_data, settle_write
from tests.support.flows import invoice_data


def invoice_of(shop, counterpart_id: str | None = None, **extra) -> dict:
    return invoice_data(counterpart_id or shop.customer_id, [(shop.product_id, "Consulting Hour", 2, 12000, 1900)],
                        **extra)


async def test_an_invoice_for_a_matched_customer_is_pushed_once_and_becomes_done(shop, pipeline, double):
    invoice = invoice_of(shop)
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    [write] = double.writes_of("invoices")
    assert write.method == "push" and write.body["counterpart"] == "cust-known"
    assert write.body["items"] == {shop.product_id: "item-consulting"} and write.body["tax"] == ["tax-19"]
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "pending" and record["push_generation"] == 0
    [attempt] = await pipeline.attempts(record["id"])
    assert attempt["status"] == "pending" and attempt["operation_id"] == write.operation_id
    assert str(attempt["idempotency_key"]) == write.idempotency_key

    await settle_write(pipeline, double, write)
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "done" and record["errors"] is None
    assert record["platform_object_id"] == double.written[write.idempotency_key]
    assert [a["status"] for a in await pipeline.attempts(record["id"])] == ["success"]
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]
    assert len(double.writes_of("invoices")) == 1


async def invoice_for_a_new_counterpart(shop, pipeline, double, name: str):
    """counterpart.created, then an invoice for it, run: (counterpart, invoice, the customer's write)."""
    fresh = counterpart_data(name)
    await pipeline.event("counterpart.created", fresh, shop.entity_id)
    invoice = invoice_of(shop, fresh["id"])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    [customer_write] = double.writes_of("customers")
    return fresh, invoice, customer_write


async def test_an_invoice_for_a_new_counterpart_waits_for_its_customer_then_goes(shop, pipeline, double):
    fresh, invoice, customer_write = await invoice_for_a_new_counterpart(shop, pipeline, double, "Neue Kundin GmbH")
    assert "find_by_name:customers" in double.calls  # looked before creating
    assert customer_write.body["name"] == "Neue Kundin GmbH"
    assert double.writes_of("invoices") == []
    customer = await pipeline.record("customer", fresh["id"])
    waiting = await pipeline.record("receivable", invoice["id"])
    assert waiting["sync_status"] == "pending" and waiting["waiting_for"] == customer["id"]

    await settle_write(pipeline, double, customer_write)
    customer = await pipeline.record("customer", fresh["id"])
    assert customer["sync_status"] == "done"
    [invoice_write] = double.writes_of("invoices")
    assert invoice_write.body["counterpart"] == customer["platform_object_id"]
    record = await pipeline.record("receivable", invoice["id"])
    assert record["waiting_for"] is None and record["sync_status"] == "pending"


async def test_an_invoice_waiting_for_a_customer_that_fails_fails_with_the_reason(shop, pipeline, double):
    fresh, invoice, customer_write = await invoice_for_a_new_counterpart(shop, pipeline, double, "Abgelehnt GmbH")
    await settle_write(pipeline, double, customer_write, "failed", errors=["Name contains forbidden characters"])
    customer = await pipeline.record("customer", fresh["id"])
    assert customer["sync_status"] == "error" and customer["errors"]["code"] == "provider_validation_failed"
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "error" and record["errors"]["code"] == "dependency_failed"
    assert str(customer["id"]) in record["errors"]["hint"]
    assert double.writes_of("invoices") == []


async def test_a_newer_event_after_an_error_pushes_again_as_a_new_generation(shop, pipeline, double):
    invoice = invoice_of(shop)
    double.answer_next("failed")
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    failed = await pipeline.record("receivable", invoice["id"])
    assert (failed["sync_status"], failed["push_generation"]) == ("error", 0)
    newer = {**invoice, "memo": "corrected", "updated_at": datetime.now(UTC).isoformat()}
    await pipeline.event("receivable.issued", newer, shop.entity_id)
    await pipeline.run()
    first, second = double.writes_of("invoices")
    assert second.idempotency_key != first.idempotency_key
    record = await pipeline.record("receivable", invoice["id"])
    assert (record["sync_status"], record["push_generation"], record["errors"]) == ("pending", 1, None)
    await settle_write(pipeline, double, second)
    assert (await pipeline.record("receivable", invoice["id"]))["sync_status"] == "done"
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "error"), ("error", "pending"),
                                                     ("pending", "done")]


async def test_a_stale_event_changes_nothing(shop, pipeline, double):
    invoice = invoice_of(shop)
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    older = {**invoice, "memo": "an older snapshot",
             "updated_at": (datetime.fromisoformat(invoice["updated_at"]) - timedelta(minutes=5)).isoformat()}
    await pipeline.event("receivable.issued", older, shop.entity_id)
    await pipeline.run()
    stored = await pipeline.pool.fetchrow("SELECT data, source_updated_at FROM documents WHERE id = $1",
                                          uuid.UUID(invoice["id"]))
    assert stored["data"]["memo"] == "thanks"
    assert stored["source_updated_at"] == datetime.fromisoformat(invoice["updated_at"])
    record = await pipeline.record("receivable", invoice["id"])
    assert record["push_generation"] == 0 and len(double.writes_of("invoices")) == 1


async def test_the_same_event_delivered_twice_is_applied_once(shop, pipeline, double):
    invoice = invoice_of(shop)
    event_id = str(uuid.uuid4())
    await pipeline.event("receivable.issued", invoice, shop.entity_id, event_id=event_id)
    await pipeline.event("receivable.issued", invoice, shop.entity_id, event_id=event_id)
    await pipeline.run()
    assert await pipeline.pool.fetchval("SELECT count(*) FROM inbox WHERE message_id = $1", event_id) == 1
    assert len(double.writes_of("invoices")) == 1
    record = await pipeline.record("receivable", invoice["id"])
    assert [a["status"] for a in await pipeline.attempts(record["id"])] == ["pending"]


async def test_an_unmapped_product_and_a_missing_tax_rate_are_errors_before_any_write(shop, pipeline, double):
    stranger = str(uuid.uuid4())
    invoice = invoice_data(shop.customer_id, [(stranger, "Mystery Box", 1, 5000, 1900),
                                              (shop.product_id, "Consulting Hour", 1, 12000, 700)])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "error"
    codes = [d["code"] for d in record["errors"]["details"]]
    assert codes == ["product_not_mapped", "tax_rate_not_found"]
    assert all(d["hint"] for d in record["errors"]["details"])
    assert "7.00%" in record["errors"]["details"][1]["message"]
    assert double.writes_of("invoices") == [] and await pipeline.attempts(record["id"]) == []


async def test_an_invoice_issued_before_the_connection_is_mirrored_but_not_pushed(shop, pipeline, double):
    old = invoice_of(shop, issued_at=datetime.now(UTC) - timedelta(days=3))
    new = invoice_of(shop)
    await pipeline.event("receivable.issued", old, shop.entity_id)
    await pipeline.event("receivable.issued", new, shop.entity_id)
    await pipeline.run()
    assert await pipeline.pool.fetchval("SELECT 1 FROM documents WHERE id = $1", uuid.UUID(old["id"]))
    assert await pipeline.record("receivable", old["id"]) is None
    assert [w.body["id"] for w in double.writes_of("invoices")] == [new["id"]]
