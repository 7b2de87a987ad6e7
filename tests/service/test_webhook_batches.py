"""Settling in batches: the deliveries handed to the webhook processor together are applied in
one transaction, each exactly once; a batch that fails leaves nothing behind, and each of its
deliveries then goes alone (the bad one is refused alone). Phase 3's answers that arrive while
one is being stored go together in the next statement."""
from __future__ import annotations

import asyncio
import json

import pytest

from services.core.errors import PermanentError
from services.core.topology import WEBHOOKS
from services.push import settle, write_notices
from tests.support.flows import invoice_data
from tests.support.inproc import eventually
from tests.support.pipeline import Message
from tests.service.test_receivables import invoice_of
from tests.support.shop import counterpart_data


async def issue(shop, pipeline, n: int) -> list[dict]:
    invoices = [invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000 + i, 1900)])
                for i in range(n)]
    for invoice in invoices:
        await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    return invoices


async def webhooks_of(pipeline, double, statuses: list[str]) -> list[Message]:
    """Each write finished as ``statuses`` say, its webhook received; the references the
    processor would be handed (relayed, not yet consumed)."""
    for write, status in zip(double.writes_of("invoices"), statuses, strict=True):
        double.finish(write.operation_id, status, errors=["Due date before issue date"] if status == "failed" else ())
        assert (await pipeline.webhook(double.write_webhook(write.operation_id)))[0] < 300
    sent = await pipeline.relay_all()
    return [m for m in sent if m.exchange == "" and m.routing_key == WEBHOOKS.name]


def reference(webhook_id: str) -> Message:
    return Message(json.dumps({"provider": "codat", "webhook_id": webhook_id}).encode(), WEBHOOKS.name)


async def deliveries(pipeline) -> list[tuple[str, str | None]]:
    rows = await pipeline.pool.fetch("SELECT body->>'status' AS status, outcome FROM webhook_deliveries "
                                     "WHERE event_type = 'write.finished' ORDER BY received_at")
    return [(r["status"], r["outcome"]) for r in rows]


async def test_a_batch_settles_each_write_once_in_one_transaction(shop, pipeline, double):
    invoices = await issue(shop, pipeline, 3)
    batch = await webhooks_of(pipeline, double, ["success", "success", "failed"])
    assert len(batch) == 3

    await pipeline.webhooks.batch(batch)
    assert await deliveries(pipeline) == [("success", "done"), ("success", "done"), ("failed", "details_requested")]
    await pipeline.webhooks.batch(batch)  # delivered again (its ack was lost): nothing changes
    await pipeline.run()

    records = [await pipeline.record("receivable", i["id"]) for i in invoices]
    assert [r["sync_status"] for r in records] == ["done", "done", "error"]
    for invoice, record in zip(invoices, records, strict=True):
        assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", record["sync_status"])]
        kinds = await pipeline.pool.fetch("SELECT kind FROM synced_record_history WHERE record_id = $1",
                                          record["id"])
        assert [k["kind"] for k in kinds].count("webhook") == 1
    assert [r["platform_object_id"] for r in records[:2]] == \
        [double.written[w.idempotency_key] for w in double.writes_of("invoices")[:2]]
    assert len(pipeline.commands_named("settle_push")) == 1 and pipeline.dead == []


async def test_a_batch_with_a_bad_reference_changes_nothing_and_each_then_goes_alone(shop, pipeline, double):
    invoices = await issue(shop, pipeline, 2)
    good = await webhooks_of(pipeline, double, ["success", "success"])
    batch = [good[0], reference("never-stored"), good[1], good[0]]

    with pytest.raises(PermanentError, match="no stored webhook delivery codat:never-stored"):
        await pipeline.webhooks.batch(batch)
    assert await deliveries(pipeline) == [("success", None), ("success", None)]  # rolled back
    assert [(await pipeline.record("receivable", i["id"]))["sync_status"] for i in invoices] == ["pending"] * 2

    refused = []
    for message in batch:  # what the consumer does with a failed batch
        try:
            await pipeline.webhooks(message)
        except PermanentError as exc:
            refused.append(exc.message or str(exc))
    assert refused == ["no stored webhook delivery codat:never-stored"]
    await pipeline.run()
    assert await deliveries(pipeline) == [("success", "done"), ("success", "done")]
    for invoice in invoices:
        assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]


async def test_answers_arriving_while_phase_3_stores_one_are_stored_together(shop, pipeline, double, monkeypatch):
    sizes, store = [], write_notices._Noting._store

    async def first_one_slow(self, batch):
        sizes.append(len(batch))
        if len(sizes) == 1:  # the others' answers arrive meanwhile
            await eventually(lambda: len(self.waiting) == 2, what="the other two answers")
        await store(self, batch)

    monkeypatch.setattr(write_notices._Noting, "_store", first_one_slow)
    invoices = [invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000 + i, 1900)])
                for i in range(3)]
    await asyncio.gather(*(pipeline.event("receivable.issued", i, shop.entity_id) for i in invoices))
    assert sizes == [1, 2]

    writes = double.writes_of("invoices")
    for invoice in invoices:
        record = await pipeline.record("receivable", invoice["id"])
        [attempt] = await pipeline.attempts(record["id"])
        assert attempt["status"] == "pending" and attempt["operation_id"] in {w.operation_id for w in writes}
        assert [a["status"] for a in attempt["answers"]] == ["pending"]
    batch = await webhooks_of(pipeline, double, ["success"] * 3)
    await pipeline.webhooks.batch(batch)
    await pipeline.run()
    assert [(await pipeline.record("receivable", i["id"]))["sync_status"] for i in invoices] == ["done"] * 3
    assert await pipeline.pool.fetchval("SELECT count(*) FROM push_operations") == 0


async def _done_webhooks(pipeline, double, writes, twice=()) -> list[Message]:
    """Each write finished with success and its webhook received (those in ``twice``: two
    webhooks with ids of their own, as a provider that retries sends); the references relayed."""
    for write in writes:
        double.finish(write.operation_id, "success")
        for _ in range(2 if write in twice else 1):
            assert (await pipeline.webhook(double.write_webhook(write.operation_id)))[0] < 300
    return [m for m in await pipeline.relay_all() if m.exchange == "" and m.routing_key == WEBHOOKS.name]


async def test_a_write_heard_twice_in_one_batch_is_settled_once(shop, pipeline, double):
    # the done writes of a batch go together before its commit; the second webhook of a write
    # reads the write afresh, so it must come after the first one's done write went
    invoices = await issue(shop, pipeline, 3)
    writes = double.writes_of("invoices")
    batch = await _done_webhooks(pipeline, double, writes, twice=(writes[1],))
    assert len(batch) == 4
    await pipeline.webhooks.batch(batch)
    await pipeline.run()
    for invoice in invoices:
        assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]
    outcomes = sorted(outcome for _, outcome in await deliveries(pipeline))
    assert outcomes == ["already_settled", "done", "done", "done"]


async def _customer_with_a_waiter(shop, pipeline, double, name: str):
    """A new counterpart's customer write with an invoice waiting for it, and another invoice's
    write: both finished, their webhooks relayed (one batch); (counterpart, waiting, other, batch)."""
    fresh = counterpart_data(name)
    await pipeline.event("counterpart.created", fresh, shop.entity_id)
    waiting = invoice_of(shop, fresh["id"])
    await pipeline.event("receivable.issued", waiting, shop.entity_id)
    [other] = await issue(shop, pipeline, 1)
    batch = await _done_webhooks(pipeline, double, [*double.writes_of("customers"), *double.writes_of("invoices")])
    assert len(batch) == 2
    return fresh, waiting, other, batch


async def test_a_done_write_in_a_batch_frees_the_record_waiting_for_it(shop, pipeline, double):
    fresh, waiting, other, batch = await _customer_with_a_waiter(shop, pipeline, double, "Wartende Kundin GmbH")
    await pipeline.webhooks.batch(batch)
    await pipeline.run()
    assert (await pipeline.record("customer", fresh["id"]))["sync_status"] == "done"
    assert (await pipeline.record("receivable", other["id"]))["sync_status"] == "done"
    freed = await pipeline.record("receivable", waiting["id"])
    assert freed["waiting_for"] is None and freed["sync_status"] == "pending"
    assert [w.body["counterpart"] for w in double.writes_of("invoices")][-1] == \
        (await pipeline.record("customer", fresh["id"]))["platform_object_id"]  # its push went


async def test_a_waiter_the_batch_did_not_see_fails_the_batch_and_each_then_frees_its_own(
        shop, pipeline, double, monkeypatch):
    # as if the invoice had started waiting between the batch's look and its lock: the done
    # write, sent with the batch, frees it; the batch fails and goes one by one
    fresh, waiting, other, batch = await _customer_with_a_waiter(shop, pipeline, double, "Spaete Kundin GmbH")
    locked = settle.locked_operations

    async def unaware(conn, operation_ids):
        return {op: (attempt, {**record, "has_waiting": False})
                for op, (attempt, record) in (await locked(conn, operation_ids)).items()}

    monkeypatch.setattr(settle, "locked_operations", unaware)
    with pytest.raises(write_notices.WaiterAppeared):
        await pipeline.webhooks.batch(batch)
    assert (await pipeline.record("customer", fresh["id"]))["sync_status"] == "pending"  # rolled back
    for message in batch:  # what the consumer does with a failed batch
        await pipeline.webhooks(message)
    await pipeline.run()
    assert (await pipeline.record("customer", fresh["id"]))["sync_status"] == "done"
    assert (await pipeline.record("receivable", other["id"]))["sync_status"] == "done"
    freed = await pipeline.record("receivable", waiting["id"])
    assert freed["waiting_for"] is None and len(double.writes_of("invoices")) == 2
