"""Domain events handed to the push-worker together: one transaction for all of them, each
applied exactly once and in order (a later event sees what an earlier one of the batch stored),
each push sent after the commit; a batch with a bad event leaves nothing behind, so each event
can go alone (the consumer's fallback) and the bad one is refused alone."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
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
    # the batch fails as a whole (its invoices' first statements went together); each event alone then
    # says which one it was: PermanentError, dead-lettered (below)
    with pytest.raises((PermanentError, asyncpg.ForeignKeyViolationError)):
        await pipeline.events_together(("receivable.issued", good, shop.entity_id),
                                       ("receivable.issued", invoice_of(shop), "00000000-0000-4000-8000-000000000001"))
    assert await pipeline.record("receivable", good["id"]) is None  # rolled back with the bad one
    assert double.writes_of("invoices") == []
    await pipeline.event("receivable.issued", good, shop.entity_id)  # alone, as the consumer then sends it
    await pipeline.run()
    assert len(double.writes_of("invoices")) == 1


async def test_the_same_invoice_twice_in_one_batch_is_one_record_and_one_write(shop, pipeline, double):
    # the second event must see what the first stored: its first statement waits for the first's writes
    invoice = invoice_of(shop, number="INV-TWICE")
    others = [invoice_of(shop, number=f"INV-T{i}") for i in range(3)]
    await pipeline.events_together(("receivable.issued", others[0], shop.entity_id),
                                   ("receivable.issued", invoice, shop.entity_id),
                                   ("receivable.issued", others[1], shop.entity_id),
                                   ("receivable.issued", invoice, shop.entity_id),
                                   ("receivable.issued", others[2], shop.entity_id))
    await pipeline.run()
    numbers = sorted(w.body["number"] for w in double.writes_of("invoices"))
    assert numbers == sorted(["INV-TWICE", "INV-T0", "INV-T1", "INV-T2"])
    record = await pipeline.record("receivable", invoice["id"])
    assert len(await pipeline.attempts(record["id"])) == 1
    assert [change for change in pipeline.status_changes(invoice["id"])] == [(None, "pending")]


async def test_invoices_of_one_counterpart_without_a_record_in_one_batch_wait_for_one_customer(
        shop, pipeline, double, pool):
    # mirrored but never pushed (no record): the first invoice starts its customer's record, the
    # others of the batch, taken in before that, find it and wait for the same one
    counterpart = str(uuid.uuid4())
    await pool.execute("INSERT INTO counterparts (id, entity_id, type, name, is_customer, data, source_updated_at) "
                       "VALUES ($1, $2, 'organization', 'Stille Kundin GmbH', true, $3::jsonb, $4)",
                       uuid.UUID(counterpart), uuid.UUID(shop.entity_id), json.dumps({"id": counterpart}),
                       datetime.now(UTC))
    invoices = [invoice_of(shop, counterpart, number=f"INV-S{i}") for i in range(3)]
    await pipeline.events_together(*(("receivable.issued", i, shop.entity_id) for i in invoices))
    await pipeline.run()
    assert [w.body["name"] for w in double.writes_of("customers")] == ["Stille Kundin GmbH"]
    customer = await pipeline.record("customer", counterpart)
    for invoice in invoices:
        waiting = await pipeline.record("receivable", invoice["id"])
        assert waiting["sync_status"] == "pending" and waiting["waiting_for"] == customer["id"]
    assert double.writes_of("invoices") == []
