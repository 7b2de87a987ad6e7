"""Domain events handed to the push-worker together: one transaction for all of them, each
applied exactly once and in order (a later event sees what an earlier one of the batch stored),
each push sent after the commit; a batch with a bad event leaves nothing behind, so each event
can go alone (the consumer's fallback) and the bad one is refused alone."""
from __future__ import annotations

import pytest

from services.core.errors import PermanentError
from tests.service.test_receivables import invoice_of
from tests.support.shop import counterpart_data


async def test_invoices_delivered_together_are_each_pushed_once_after_one_commit(shop, pipeline, double, pool):
    invoices = [invoice_of(shop, number=f"INV-B{i}") for i in range(3)]
    made = await pipeline.events_together(*(("receivable.issued", i, shop.entity_id) for i in invoices))
    await pipeline.run()
    assert len(double.writes_of("invoices")) == 3
    for invoice, event in zip(invoices, made, strict=True):
        record = await pipeline.record("receivable", invoice["id"])
        assert record["sync_status"] == "pending"
        assert len(await pipeline.attempts(record["id"])) == 1
        assert await pool.fetchval("SELECT count(*) FROM inbox WHERE message_id = $1", event["id"]) == 1

    await pipeline.events_together(("receivable.issued", invoices[0], shop.entity_id))  # issued again: a new event
    await pipeline.run()
    assert len(double.writes_of("invoices")) == 3  # the document is pushed already: not twice


async def test_a_counterpart_and_its_invoice_in_one_batch_see_each_other(shop, pipeline, double):
    fresh = counterpart_data("Batch Buyer GmbH")
    invoice = invoice_of(shop, fresh["id"])
    await pipeline.events_together(("counterpart.created", fresh, shop.entity_id),
                                   ("receivable.issued", invoice, shop.entity_id))
    await pipeline.run()
    assert [w.body["name"] for w in double.writes_of("customers")] == ["Batch Buyer GmbH"]
    customer = await pipeline.record("customer", fresh["id"])
    waiting = await pipeline.record("receivable", invoice["id"])  # found its counterpart: waits for it
    assert waiting["sync_status"] == "pending" and waiting["waiting_for"] == customer["id"]
    assert double.writes_of("invoices") == []


async def test_a_batch_with_an_event_of_an_unknown_entity_stores_nothing(shop, pipeline, double, pool):
    good = invoice_of(shop)
    with pytest.raises(PermanentError):
        await pipeline.events_together(("receivable.issued", good, shop.entity_id),
                                       ("receivable.issued", invoice_of(shop), "00000000-0000-4000-8000-000000000001"))
    assert await pipeline.record("receivable", good["id"]) is None  # rolled back with the bad one
    assert double.writes_of("invoices") == []
    await pipeline.event("receivable.issued", good, shop.entity_id)  # alone, as the consumer then sends it
    await pipeline.run()
    assert len(double.writes_of("invoices")) == 1
