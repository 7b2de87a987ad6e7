"""The receiver's answers for signed bodies it cannot keep (4xx, never 5xx, nothing stored), and
that a burst of deliveries is answered each with its own outcome."""
from __future__ import annotations

import asyncio
import json


async def test_a_signed_body_the_database_cannot_hold_is_a_400_and_the_next_is_stored(pipeline):
    nul = json.dumps({"id": "evt-nul", "type": "company.renamed", "text": "\u0000"})
    response = await pipeline.receiver.post(
        "/webhooks/codat", data=nul, headers={"x-double-secret": pipeline.settings.provider_webhook_secret,
                                              "webhook-id": "evt-nul"})
    assert response.status == 400 and "cannot be stored" in (await response.json())["error"]["message"]
    assert await pipeline.webhook({"id": "evt-ok", "type": "company.renamed"}) == (200, {"status": "ignored"})
    stored = await pipeline.pool.fetch("SELECT webhook_id FROM webhook_deliveries ORDER BY webhook_id")
    assert [r["webhook_id"] for r in stored] == ["evt-ok"]


async def test_a_burst_is_answered_each_with_its_own_outcome(pipeline):
    bodies = [{"id": f"evt-{i % 20}", "type": "company.renamed"} for i in range(40)]
    answers = await asyncio.gather(*(pipeline.webhook(body) for body in bodies))
    assert all(status == 200 for status, _ in answers)
    outcomes = sorted(answer["status"] for _, answer in answers)
    assert outcomes == ["duplicate"] * 20 + ["ignored"] * 20
    assert await pipeline.pool.fetchval("SELECT count(*) FROM webhook_deliveries") == 20
