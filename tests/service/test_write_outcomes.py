"""What the provider answers about a write, and when: refusals, timeouts, lost answers, doubled
and late webhooks, rate limits. Each document reaches the accounting system once."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.commands import PushRecord, ReconcilePush
from services.auth.partners import create_partner
from services.core.errors import PermanentError, ProviderRateLimited, ProviderRejected, ProviderUnavailable
from services.push_worker.handlers import command_handlers
from tests.support import client
from tests.support.flows import invoice_data
from tests.support.shop import settle_write


async def issue(shop, pipeline) -> dict:
    invoice = invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 10000, 1900)])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    return invoice


async def test_a_refused_write_is_an_error_with_the_providers_reasons_code_and_hint(shop, pipeline, double):
    double.answer_next(ProviderRejected("refused", status=400, errors=[{"message": "Contact is archived"}]))
    invoice = await issue(shop, pipeline)
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "error"
    assert record["errors"]["code"] == "provider_validation_failed"
    assert "Contact is archived" in record["errors"]["message"] and "Xero" in record["errors"]["message"]
    assert record["errors"]["hint"].startswith("Fix the document")
    [attempt] = await pipeline.attempts(record["id"])
    assert attempt["status"] == "failed" and attempt["errors"] == [{"message": "Contact is archived"}]
    assert pipeline.status_changes(invoice["id"])[-1] == ("pending", "error")


async def test_a_write_that_fails_later_has_its_details_fetched_before_it_becomes_an_error(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [write] = double.writes_of("invoices")
    await settle_write(pipeline, double, write, "failed", errors=["Due date before issue date"])
    assert [c.attempt_id for c in pipeline.commands_named("settle_push")] == \
        [a["id"] for a in await pipeline.attempts((await pipeline.record("receivable", invoice["id"]))["id"])]
    assert "get_push_operation" in double.calls
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "error" and "Due date before issue date" in record["errors"]["message"]


async def test_a_timed_out_write_found_by_the_look_up_is_done_without_a_second_write(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [write] = double.writes_of("invoices")
    await settle_write(pipeline, double, write, "timed_out", created=True)
    assert len(pipeline.commands_named("reconcile_push")) == 1
    [looked_up] = double.lookups
    assert looked_up.idempotency_key == write.idempotency_key and looked_up.body == write.body
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "done" and record["platform_object_id"] == double.written[write.idempotency_key]
    assert record["push_generation"] == 0 and len(double.writes_of("invoices")) == 1
    assert [a["status"] for a in await pipeline.attempts(record["id"])] == ["timed_out"]


async def test_a_timed_out_write_not_found_is_pushed_again_as_a_new_generation(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [first] = double.writes_of("invoices")
    await settle_write(pipeline, double, first, "timed_out", created=False)
    assert len(double.lookups) == 1
    first_write, second = double.writes_of("invoices")
    assert second.idempotency_key != first.idempotency_key and second.body == first.body
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "pending" and record["push_generation"] == 1
    await settle_write(pipeline, double, second, "success")
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "done" and record["platform_object_id"] == double.written[second.idempotency_key]
    assert [(a["generation"], a["status"]) for a in await pipeline.attempts(record["id"])] == \
        [(0, "timed_out"), (1, "success")]


async def test_a_lost_answer_is_sent_again_with_the_same_key_and_body_within_the_window(shop, pipeline, double):
    double.answer_next(ProviderUnavailable("read timeout"))  # no status: the answer never came
    invoice = await issue(shop, pipeline)
    lost, again = double.writes_of("invoices")
    assert (again.idempotency_key, again.body) == (lost.idempotency_key, lost.body)
    assert len(pipeline.retried) == 1 and pipeline.dead == [] and double.lookups == []
    await settle_write(pipeline, double, again, "success")
    assert (await pipeline.record("receivable", invoice["id"]))["sync_status"] == "done"


async def test_a_lost_answer_without_idempotency_keys_is_looked_up_before_anything_is_written(shop, pipeline, double):
    double.idempotency_window = None  # a provider without keys (Railz)
    double.answer_next(ProviderUnavailable("read timeout"))
    invoice = await issue(shop, pipeline)
    assert len(double.lookups) == 1  # not found: a new logical push
    lost, fresh = double.writes_of("invoices")
    assert fresh.idempotency_key != lost.idempotency_key
    assert (await pipeline.record("receivable", invoice["id"]))["push_generation"] == 1


async def test_a_doubled_webhook_settles_once(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [write] = double.writes_of("invoices")
    double.finish(write.operation_id, "success")
    body = double.write_webhook(write.operation_id)
    assert await pipeline.webhook(body) == (200, {"status": "accepted"})
    assert await pipeline.webhook(body) == (200, {"status": "duplicate"})  # the provider's retry: same id
    await pipeline.webhook({**body, "id": "evt-another-delivery"})         # another delivery, same news
    await pipeline.run()
    outcomes = await pipeline.pool.fetch("SELECT outcome FROM webhook_deliveries WHERE body->>'operation_id' = $1 "
                                         "ORDER BY received_at", write.operation_id)
    assert [o["outcome"] for o in outcomes] == ["done", "already_settled"]
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]


async def test_a_stale_generations_late_webhook_moves_nothing(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [first] = double.writes_of("invoices")
    await settle_write(pipeline, double, first, "timed_out", created=False)  # looked up, absent: generation 1
    [_, second] = double.writes_of("invoices")
    await settle_write(pipeline, double, first, "success")  # generation 0's write did finish after all
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "pending" and record["platform_object_id"] is None
    await settle_write(pipeline, double, second, "success")
    record = await pipeline.record("receivable", invoice["id"])
    assert record["platform_object_id"] == double.written[second.idempotency_key]


async def test_never_backwards_from_done(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [write] = double.writes_of("invoices")
    await settle_write(pipeline, double, write, "success")
    done_at = (await pipeline.record("receivable", invoice["id"]))["updated_at"]
    await pipeline.webhook({**double.write_webhook(write.operation_id), "id": "evt-late", "status": "failed"})
    newer = {**invoice, "memo": "edited", "updated_at": datetime.now(UTC).isoformat()}
    await pipeline.event("receivable.issued", newer, shop.entity_id)
    await pipeline.run()
    api = await pipeline.api.post(f"/v1/accounting_synced_records/"
                                  f"{(await pipeline.record('receivable', invoice['id']))['id']}/push",
                                  headers=shop.headers)
    assert api.status == 200 and (await api.json())["sync_status"] == "done"
    await pipeline.run()
    record = await pipeline.record("receivable", invoice["id"])
    assert (record["sync_status"], record["updated_at"], record["errors"]) == ("done", done_at, None)
    assert len(double.writes_of("invoices")) == 1
    assert pipeline.status_changes(invoice["id"]) == [(None, "pending"), ("pending", "done")]


async def test_a_rate_limited_write_pauses_the_connection_and_defers_the_push(shop, pipeline, double):
    double.answer_next(ProviderRateLimited("slow down", status=429, retry_after=40))
    invoice = await issue(shop, pipeline)
    record = await pipeline.record("receivable", invoice["id"])
    assert record["sync_status"] == "pending" and record["errors"] is None
    assert pipeline.dead == [] and pipeline.retried == []  # neither an error nor a retry through the queues
    paused = await pipeline.pool.fetchval("SELECT throttled_until FROM accounting_connections WHERE id = $1",
                                          shop.connection_id)
    assert timedelta(seconds=30) < paused - datetime.now(UTC) <= timedelta(seconds=40)
    other = invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 500, 1900)])
    await pipeline.event("receivable.issued", other, shop.entity_id)
    await pipeline.run()
    assert len(double.writes_of("invoices")) == 1  # the paused connection writes nothing meanwhile
    assert (await pipeline.record("receivable", other["id"]))["sync_status"] == "pending"
    parked = {r["record_id"] for r in await pipeline.pool.fetch("SELECT record_id FROM parked_pushes")}
    assert parked == {record["id"], (await pipeline.record("receivable", other["id"]))["id"]}


async def test_documents_of_an_entity_without_a_connection_are_mirrored_and_of_an_unknown_one_dead_lettered(
        pipeline, pool, double):
    partner = await create_partner(pool, "Lonely Platform")
    entity = str(uuid.uuid4())
    await pipeline.event("entity.created", client.entity_data(entity, partner.partner_id), entity)
    invoice = invoice_data(str(uuid.uuid4()), [(str(uuid.uuid4()), "Anything", 1, 100, 1900)])
    await pipeline.event("receivable.issued", invoice, entity)
    await pipeline.run()
    assert await pool.fetchval("SELECT kind FROM documents WHERE id = $1", uuid.UUID(invoice["id"])) == "receivable"
    assert await pool.fetchval("SELECT count(*) FROM synced_records") == 0 and double.writes == []
    ghost = invoice_data(str(uuid.uuid4()), [(str(uuid.uuid4()), "Anything", 1, 100, 1900)])
    with pytest.raises(PermanentError, match="unknown entity"):
        await pipeline.event("receivable.issued", ghost, str(uuid.uuid4()))
    assert await pool.fetchval("SELECT count(*) FROM documents WHERE id = $1", uuid.UUID(ghost["id"])) == 0


async def test_a_push_command_of_an_old_generation_writes_nothing(shop, pipeline, double):
    invoice = await issue(shop, pipeline)
    [first] = double.writes_of("invoices")
    await settle_write(pipeline, double, first, "timed_out", created=False)  # generation 1 is written now
    record = await pipeline.record("receivable", invoice["id"])
    handlers = command_handlers(pipeline.pool, double)
    await handlers["push_record"](PushRecord(record_id=record["id"], generation=0))  # a late redelivery
    await handlers["reconcile_push"](ReconcilePush(attempt_id=(await pipeline.attempts(record["id"]))[0]["id"]))
    assert len(double.writes_of("invoices")) == 2 and len(double.lookups) == 1
    assert await pipeline.record("receivable", invoice["id"]) == record
    assert await pipeline.relay_all() == []  # and nothing was queued
