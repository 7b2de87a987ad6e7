"""`ledgersync bench webhooks --deliveries N --concurrency C`: provider webhook ingest.

N signed Codat deliveries (`read.completed` of companies ledgersync does not know: verified,
stored, queued and processed to "no connected connection"), C at a time, against
`ledgersync webhook-receiver` alone (a process of its own, its processor in a child process), then
against the bare floor (floors.py: HMAC check, one INSERT, 204) on the same database. Also
printed: how long after the last answer the receiver's processor had applied every delivery,
and the CPU per delivery of the receiver and its processor child together (until every delivery
is processed), of the receiver process alone while it answered, and of the floor's process."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from services.bench.isolation import free_port, isolated, wait_ready
from services.bench.load import Request, compare, load, wait_listening
from services.bench.procs import cpu_s, family_cpu_s, processes
from services.bench.scenario import wait_until
from services.core.db import create_pool
from services.core.migrate import migrate
from services.core.settings import Settings


def deliveries(count: int, url: str, secret: str) -> list[Request]:
    signer, out = Webhook(secret), []
    for _ in range(count):
        webhook_id, company, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
        body = json.dumps({"id": webhook_id, "eventType": "read.completed", "generatedDate": now.isoformat(),
                           "payload": {"referenceCompany": {"id": company, "name": "Bench", "tags": {}},
                                       "dataTypes": [{"dataType": "invoices", "status": "Complete"}]}})
        out.append(Request("POST", url, {"content-type": "application/json", "webhook-id": webhook_id,
                                         "webhook-timestamp": str(int(now.timestamp())),
                                         "webhook-signature": signer.sign(webhook_id, now, body)}, body.encode()))
    return out


async def run_webhooks(settings: Settings, count: int = 5000, concurrency: int = 64) -> dict:
    async with isolated(settings) as bench:
        await migrate(bench.database_url)
        secret = bench.provider_webhook_secret.split(",")[0]
        async with processes() as running:
            pid = await running.start(bench, "webhook-receiver")
            await wait_ready([bench.webhook_port], 60)
            cpu, own = family_cpu_s(pid), cpu_s(pid)
            ours = await load(deliveries(count, f"http://127.0.0.1:{bench.webhook_port}/webhooks/codat", secret),
                              concurrency)
            answered = time.perf_counter()
            ours["receiver_cpu_ms_per_delivery"] = round((cpu_s(pid) - own) * 1000 / count, 3)
            pool = await create_pool(bench.database_url, 1, 1)
            try:
                async def processed() -> bool:
                    return await pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE processed_at "
                                               "IS NOT NULL") >= count
                await wait_until(processed, "every delivery to be processed", timeout=300, every=0.2)
            finally:
                await pool.close()
            ours.update(processed_all_s_after_last_answer=round(time.perf_counter() - answered, 2),
                        cpu_ms_per_delivery=round((family_cpu_s(pid) - cpu) * 1000 / count, 2))
            await running.stop()
            port = free_port()
            floor_pid = await running.start(bench, "webhooks", "--port", str(port), "--dsn", bench.database_url,
                                "--secret", secret, module="services.bench.floors")
            await wait_listening(port)
            own = cpu_s(floor_pid)
            floor = await load(deliveries(count, f"http://127.0.0.1:{port}/webhooks/codat", secret), concurrency)
            floor["cpu_ms_per_delivery"] = round((cpu_s(floor_pid) - own) * 1000 / count, 3)
    return {"deliveries": count, "concurrency": concurrency, "webhook_receiver": ours, "floor": floor,
            **compare(ours, floor)}
