"""The same pipeline with the real Codat adapter against the in-process sandbox: the webhooks the
sandbox sends are handed to the receiver as sent (signed), so adapter, receiver and processor
meet the provider's real shapes on the way from consent to a pushed invoice."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import aiohttp
from yarl import URL

from services.auth.partners import create_partner
from services.providers.registry import build_adapter
from services.sandbox_provider.testing import run_sandbox
from tests.support import client
from tests.support.flows import invoice_data
from tests.support.pipeline import Pipeline
from tests.support.shop import counterpart_data


async def drive(pipeline: Pipeline, sandbox, forwarded: list[int], rounds: int = 20) -> None:
    """Until quiet: let the sandbox finish, hand its new webhooks to the receiver, run the outbox."""
    for _ in range(rounds):
        await sandbox.settle()
        new = sandbox.sink.received[len(forwarded):]
        for received in new:
            forwarded.append(await pipeline.webhook_as_sent(received.raw, received.headers))
        await pipeline.run()
        await sandbox.settle()
        if not new and len(sandbox.sink.received) == len(forwarded):
            return
    raise AssertionError("the sandbox kept sending webhooks")


async def test_from_consent_to_a_pushed_invoice_with_the_codat_adapter_and_the_sandbox(pool):
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as http:
        adapter = build_adapter(sandbox.settings, http)
        async with Pipeline(pool, adapter, sandbox.settings) as pipeline:
            forwarded: list[int] = []
            partner = await create_partner(pool, "Sandbox Platform")
            entity = str(uuid.uuid4())
            await pipeline.event("entity.created", client.entity_data(entity, partner.partner_id), entity)
            product = str(uuid.uuid4())
            await pipeline.event("product.created", {"id": product, "name": "Consulting Hour",
                                                     "updated_at": datetime.now(UTC).isoformat()}, entity)
            headers = {"Authorization": f"Bearer {await pipeline.token(partner)}", "X-Monite-Version": client.VERSION,
                       "X-Monite-Entity-Id": entity}
            created = await (await pipeline.api.post("/v1/accounting_connections", headers=headers)).json()
            page = await (await http.get(created["connection_url"])).text()
            action = re.search(r'<form method="post" action="([^"]*)"', page).group(1)
            consent = await http.post(URL(created["connection_url"]).join(URL(action)),
                                      data={"platform": "Xero", "action": "allow"})
            assert consent.status == 200
            await drive(pipeline, sandbox, forwarded)
            assert set(forwarded) == {200}
            connection = await pool.fetchrow("SELECT * FROM accounting_connections WHERE entity_id = $1",
                                             uuid.UUID(entity))
            assert (connection["status"], connection["platform"]) == ("connected", "xero")
            assert connection["last_pull"] is not None
            assert (await pipeline.record("product", product))["sync_status"] == "done"

            customer = counterpart_data(f"Sandkasten {uuid.uuid4().hex[:6]} GmbH")
            await pipeline.event("counterpart.created", customer, entity)
            invoice = invoice_data(customer["id"], [(product, "Consulting Hour", 2, 12000, 1900)])
            await pipeline.event("receivable.issued", invoice, entity)
            await drive(pipeline, sandbox, forwarded)
            record = await pipeline.record("receivable", invoice["id"])
            assert record["sync_status"] == "done", record["errors"]
            assert (await pipeline.record("customer", customer["id"]))["sync_status"] == "done"
            async with sandbox.client() as admin:
                ledger = await (await admin.get(f"/admin/companies/{connection['provider_company_id']}/invoices")).json()
            pushed = [i for i in ledger["results"] if i.get("invoiceNumber") == invoice["document_id"]]
            assert [i["id"] for i in pushed] == [record["platform_object_id"]]
            assert round(pushed[0]["totalAmount"] * 100) == invoice["total_amount"]
