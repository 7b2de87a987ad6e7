"""A push-worker that dies after an invoice's event committed (its attempt stored, key and body
kept) but before the write's answer was stored: the broker redelivers the event, which is a
duplicate now, and that redelivery resumes the push at once with the same key (the provider
dedupes it), instead of waiting for the stale-push re-check. A duplicate the upstream published
again (not a redelivery) leaves a push in flight alone."""
from __future__ import annotations

import uuid

import pytest

from services.core.topology import COMMANDS
from tests.service.test_receivables import invoice_of


class WorkerKilled(BaseException):
    """The process ends between the call and storing its answer (nothing catches it)."""


async def test_a_redelivered_event_resumes_the_push_its_dead_handler_left(shop, pipeline, double):
    invoice, event_id = invoice_of(shop), str(uuid.uuid4())
    double.answer_next(WorkerKilled())
    with pytest.raises(WorkerKilled):
        await pipeline.event("receivable.issued", invoice, shop.entity_id, event_id=event_id)
    record = await pipeline.record("receivable", invoice["id"])
    [attempt] = await pipeline.attempts(record["id"])
    assert attempt["status"] == "sending"
    assert [m for m in await pipeline.relay_all() if m.routing_key.startswith(COMMANDS.name)] == []

    await pipeline.event("receivable.issued", invoice, shop.entity_id, event_id=event_id, redelivered=True)
    await pipeline.run()
    assert [c.record_id for c in pipeline.commands_named("push_record")] == [record["id"]]
    first, again = double.writes_of("invoices")
    assert first.idempotency_key == again.idempotency_key == str(attempt["idempotency_key"])
    assert first.body == again.body
    [attempt] = await pipeline.attempts(record["id"])
    assert attempt["status"] == "pending" and attempt["operation_id"] == again.operation_id


async def test_the_upstream_publishing_an_event_again_does_not_touch_a_push_in_flight(shop, pipeline, double):
    invoice, event_id = invoice_of(shop), str(uuid.uuid4())
    double.answer_next(WorkerKilled())
    with pytest.raises(WorkerKilled):
        await pipeline.event("receivable.issued", invoice, shop.entity_id, event_id=event_id)
    await pipeline.event("receivable.issued", invoice, shop.entity_id, event_id=event_id)
    await pipeline.run()
    assert pipeline.commands_named("push_record") == []
    assert len(double.writes_of("invoices")) == 1  # the stale-push re-check resumes this one
