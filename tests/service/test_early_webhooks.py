"""A write's webhook that arrives before phase 3 stored its operation id: kept (push_operations)
and settled by phase 3 at once, exactly once; doubled, failed, or with phase 3 crashing between."""
from __future__ import annotations

import asyncio
import json

import pytest

from contracts.commands import SettlePush
from services.core.errors import RetryableError
from services.core.topology import WEBHOOKS
from services.push import settle, write_notices
from tests.support.flows import invoice_data
from tests.support.pipeline import Message


def webhooks_first(pipeline, double, status: str, *, deliveries: int = 1, **how) -> None:
    """The provider finishes each write and its webhook is processed before the write's answer
    reaches phase 3 (``deliveries``: that many deliveries of the same news)."""
    push = double.push

    async def early(*args, **kwargs):
        result = await push(*args, **kwargs)
        double.finish(result.operation_id, status, **how)
        body = double.write_webhook(result.operation_id)
        for n in range(deliveries):
            await pipeline.webhook({**body, "id": f"{body['id']}-{n}"})
        await pipeline.run()  # the processor meets a write it does not know yet
        return result

    double.push = early


async def issue(shop, pipeline) -> dict:
    invoice = invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000, 1900)])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    return invoice


async def outcomes(pipeline, operation_id: str) -> list[str]:
    rows = await pipeline.pool.fetch("SELECT outcome FROM webhook_deliveries WHERE body->>'operation_id' = $1 "
                                     "ORDER BY received_at", operation_id)
    return [r["outcome"] for r in rows]


async def story(pipeline, record_id) -> list[str]:
    rows = await pipeline.pool.fetch("SELECT kind FROM synced_record_history WHERE record_id = $1 ORDER BY id",
                                     record_id)
    return [r["kind"] for r in rows]


@pytest.mark.parametrize("deliveries", [1, 2])
async def test_a_webhook_before_the_operation_is_stored_settles_with_phase_3_once(shop, pipeline, double,
                                                                                  deliveries):
    webhooks_first(pipeline, double, "success", deliveries=deliveries)
    invoice = await issue(shop, pipeline)
    [write] = double.writes_of("invoices")
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "done" and record["platform_object_id"] == double.written[write.idempotency_key]
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]
    assert pipeline.retried == [] and len(double.writes_of("invoices")) == 1
    assert await outcomes(pipeline, write.operation_id) == ["early"] * deliveries
    [attempt] = await pipeline.attempts(record["id"])
    assert attempt["status"] == "success" and attempt["operation_id"] == write.operation_id
    assert [a["status"] for a in attempt["answers"]] == ["pending", "success"]
    assert (await story(pipeline, record["id"])).count("webhook") == 1
    assert await pipeline.pool.fetchval("SELECT count(*) FROM push_operations") == 0


async def test_an_early_refusal_has_its_details_fetched(shop, pipeline, double):
    webhooks_first(pipeline, double, "failed", errors=["Due date before issue date"])
    invoice = await issue(shop, pipeline)
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "error" and "Due date before issue date" in record["errors"]["message"]
    assert len(pipeline.commands_named("settle_push")) == 1 and "get_push_operation" in double.calls
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "error")]


async def test_a_crash_in_phase_3_after_the_rendezvous_loses_nothing(shop, pipeline, double, monkeypatch):
    webhooks_first(pipeline, double, "success")
    claim, crashes = write_notices.claim, []

    async def crash_once(conn, *args):
        if not crashes:
            crashes.append(args)
            raise RetryableError("the worker died")  # redelivered, as after a crash
        return await claim(conn, *args)

    monkeypatch.setattr(write_notices, "claim", crash_once)
    invoice = await issue(shop, pipeline)
    assert crashes  # phase 3 met the early webhook, died; the command came again and resent the same key
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "done"
    assert len({w.idempotency_key for w in double.writes_of("invoices")}) == 1
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]
    assert await pipeline.pool.fetchval("SELECT count(*) FROM push_operations") == 0



def answer_after_its_webhook(pipeline, double, wait) -> list[asyncio.Task]:
    """Each write finishes at once and its webhook goes to the processor (a task of its own, in
    the list returned) while the write's answer waits for ``wait()`` before reaching phase 3."""
    push, processing = double.push, []

    async def answering(*args, **kwargs):
        result = await push(*args, **kwargs)
        double.finish(result.operation_id, "success")
        body = double.write_webhook(result.operation_id)
        await pipeline.webhook(body)
        reference = json.dumps({"provider": "codat", "webhook_id": body["id"]}).encode()
        processing.append(asyncio.create_task(pipeline.webhooks(Message(reference, WEBHOOKS.name))))
        await wait()
        return result

    double.push = answering
    return processing


async def test_phase_3_meeting_an_early_webhook_before_its_commit_waits_and_settles_it(shop, pipeline, double,
                                                                                       monkeypatch):
    """The race itself: the processor has kept its notice but not committed when phase 3 stores
    the operation; phase 3 waits for that commit, sees the notice and settles the write."""
    kept, go, note_early = asyncio.Event(), asyncio.Event(), write_notices.note_early

    async def held(*args):
        found = await note_early(*args)
        kept.set()
        await go.wait()  # the processor's transaction stays open, its row uncommitted
        return found

    async def held_until_phase_3_waits():
        await kept.wait()
        asyncio.get_running_loop().call_later(0.3, go.set)  # phase 3 is blocked on the row by then

    monkeypatch.setattr(write_notices, "note_early", held)
    processing = answer_after_its_webhook(pipeline, double, held_until_phase_3_waits)
    invoice = await issue(shop, pipeline)
    await asyncio.gather(*processing)
    await pipeline.run()
    [write] = double.writes_of("invoices")
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "done" and go.is_set()
    assert await outcomes(pipeline, write.operation_id) == ["early"]
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]
    assert await pipeline.pool.fetchval("SELECT count(*) FROM push_operations") == 0


async def test_an_early_webhook_that_meets_the_stored_operation_settles_it_itself(shop, pipeline, double,
                                                                                  monkeypatch):
    """The other order: the processor missed the attempt, then phase 3 stored the operation before
    the processor kept its notice; the kept row names the attempt, and the processor settles it."""
    stored, noted, note_early = asyncio.Event(), write_notices.noted, write_notices.note_early
    missed: list[str] = []

    async def phase_3(*args):
        early = await noted(*args)
        stored.set()
        return early

    async def after_phase_3(conn, result, webhook_id):
        missed.append(result.operation_id)
        await stored.wait()
        return await note_early(conn, result, webhook_id)

    monkeypatch.setattr(write_notices, "noted", phase_3)
    monkeypatch.setattr(write_notices, "note_early", after_phase_3)
    processing = answer_after_its_webhook(pipeline, double, lambda: asyncio.sleep(0.3))  # the processor looks first
    invoice = await issue(shop, pipeline)
    await asyncio.gather(*processing)
    await pipeline.run()
    [write] = double.writes_of("invoices")
    assert missed == [write.operation_id]  # the processor looked for the attempt before phase 3 stored it
    assert (await pipeline.record("receivable", invoice["id"]))["sync_status"] == "done"
    assert await outcomes(pipeline, write.operation_id) == ["done"]
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]
    assert await pipeline.pool.fetchval("SELECT count(*) FROM push_operations") == 0


async def test_a_write_whose_webhook_never_comes_is_read_by_the_recheck_and_leaves_no_row(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [write] = double.writes_of("invoices")
    assert await pipeline.pool.fetchval("SELECT count(*) FROM push_operations") == 1  # phase 3's, waiting
    double.finish(write.operation_id, "success")  # and its webhook is lost
    record = await pipeline.record("receivable", invoice["id"])
    [attempt] = await pipeline.attempts(record["id"])
    await settle.settle_push(pipeline.pool, double, SettlePush(attempt_id=attempt["id"]))  # the scheduler's re-check
    assert (await pipeline.record("receivable", invoice["id"]))["sync_status"] == "done"
    assert await pipeline.pool.fetchval("SELECT count(*) FROM push_operations") == 0
