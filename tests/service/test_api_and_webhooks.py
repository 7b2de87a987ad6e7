"""The partner's side (the API app) and the provider's side (the webhook receiver) of a record."""
from __future__ import annotations

import uuid

from tests.support.flows import invoice_data

RECORDS = "/v1/accounting_synced_records"


async def failed_invoice(shop, pipeline) -> dict:
    """An invoice whose product the accounting system does not have: an error before any write."""
    invoice = invoice_data(shop.customer_id, [(str(uuid.uuid4()), "Gadget", 1, 1000, 1900)])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    return await pipeline.record("receivable", invoice["id"])


async def test_the_api_lists_an_error_record_with_its_code_and_hint(shop, pipeline):
    record = await failed_invoice(shop, pipeline)
    response = await pipeline.api.get(RECORDS, params={"object_type": "receivable"}, headers=shop.headers)
    assert response.status == 200
    [listed] = (await response.json())["data"]
    assert listed["id"] == str(record["id"]) and listed["sync_status"] == "error"
    assert listed["errors"]["code"] == "product_not_mapped" and listed["errors"]["hint"]


async def test_a_manual_push_of_an_error_record_makes_it_pending_and_pushes_it_again(shop, pipeline, double):
    record = await failed_invoice(shop, pipeline)
    response = await pipeline.api.post(f"{RECORDS}/{record['id']}/push", headers=shop.headers)
    assert response.status == 200
    body = await response.json()
    assert (body["sync_status"], body["errors"]) == ("pending", None)
    queued = await pipeline.pool.fetch("SELECT body FROM outbox WHERE routing_key = 'ledgersync.commands' "
                                       "AND published_at IS NULL")
    assert [q["body"]["args"] for q in queued] == [{"record_id": str(record["id"]), "generation": 1}]
    await pipeline.run()  # still no such item: an error again, with the same reason
    again = await pipeline.record("receivable", record["object_id"])
    assert (again["sync_status"], again["push_generation"]) == ("error", 1)
    assert pipeline.status_changes(record["object_id"])[-2:] == [("error", "pending"), ("pending", "error")]


async def test_a_manual_push_of_a_product_is_a_409_and_of_another_entitys_record_a_404(shop, pipeline):
    product = await pipeline.record("product", shop.product_id)
    response = await pipeline.api.post(f"{RECORDS}/{product['id']}/push", headers=shop.headers)
    assert response.status == 409
    assert "never pushed" in (await response.json())["error"]["message"]
    response = await pipeline.api.post(f"{RECORDS}/{uuid.uuid4()}/push", headers=shop.headers)
    assert response.status == 404
    assert (await pipeline.record("product", shop.product_id))["updated_at"] == product["updated_at"]


async def test_a_webhook_that_does_not_verify_is_refused_and_not_stored(shop, pipeline, double):
    body = double.connection_webhook(shop.company_id, "link-1", "disconnected")
    assert (await pipeline.webhook(body, secret="not-the-secret"))[0] == 401
    response = await pipeline.receiver.post("/webhooks/codat", data=b"not json",
                                            headers={"x-double-secret": pipeline.settings.provider_webhook_secret})
    assert response.status == 400
    assert (await pipeline.webhook({**body, "type": "what.is.this"}))[0] == 400
    stored = await pipeline.pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE body->>'change' = "
                                          "'disconnected'")
    assert stored == 0
    assert await pipeline.pool.fetchval("SELECT status FROM accounting_connections WHERE id = $1",
                                        shop.connection_id) == "connected"


async def test_a_kind_of_webhook_we_do_not_act_on_is_kept_and_acknowledged_but_not_processed(shop, pipeline):
    status, answer = await pipeline.webhook({"id": "evt-rename", "type": "company.renamed",
                                             "company_id": shop.company_id})
    assert (status, answer) == (200, {"status": "ignored"})
    await pipeline.run()
    row = await pipeline.pool.fetchrow("SELECT outcome, body FROM webhook_deliveries WHERE webhook_id = 'evt-rename'")
    assert row["outcome"] == "ignored" and row["body"]["type"] == "company.renamed"
    assert len(pipeline.commands_named("pull_connection")) == 1  # the shop's first pull, nothing since


async def test_the_provider_reporting_the_connection_disconnected_stops_the_pushes(shop, pipeline, double):
    await pipeline.webhook(double.connection_webhook(shop.company_id, "link-1", "disconnected"))
    await pipeline.run()
    connection = await pipeline.pool.fetchrow("SELECT status FROM accounting_connections WHERE id = $1",
                                              shop.connection_id)
    assert connection["status"] == "disconnected"
    invoice = invoice_data(shop.customer_id, [(shop.product_id, "Consulting Hour", 1, 1000, 1900)])
    await pipeline.event("receivable.issued", invoice, shop.entity_id)
    await pipeline.run()
    assert await pipeline.record("receivable", invoice["id"]) is None and double.writes == []
