"""A write's webhook that arrives before phase 3 stored its operation id: kept (push_operations)
and settled by phase 3 at once, exactly once; doubled, failed, or with phase 3 crashing between."""
from __future__ import annotations

import pytest

from services.core.errors import RetryableError
from services.push import write_notices
from tests.support.flows import invoice_data


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
