"""Sandbox provider: injected faults (rate limits, errors, timeouts, webhook drops/duplicates)."""
from __future__ import annotations

import asyncio
import time

import pytest

from services.sandbox_provider.state import Timing
from services.sandbox_provider.testing import run_sandbox


async def company(http, name="Acme") -> str:
    return (await (await http.post("/companies", json={"name": name})).json())["id"]


async def test_rate_limit_answers_429_with_retry_after_per_company(sandbox):
    async with sandbox.client() as http:
        limited, other = await company(http), await company(http, "Other")
        put = await http.put(f"/admin/companies/{limited}/faults", json={"rate_limit_per_minute": 3})
        assert put.status == 200 and (await put.json())["rate_limit_per_minute"] == 3
        statuses = [(await http.get(f"/companies/{limited}")).status for _ in range(3)]
        refused = await http.get(f"/companies/{limited}/connections")
        body = await refused.json()
        other_status = (await http.get(f"/companies/{other}")).status
    assert statuses == [200, 200, 200]
    assert refused.status == 429 and body["statusCode"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert other_status == 200  # the other tenant is not throttled


async def test_error_rate_answers_5xx_in_codat_shape(sandbox):
    async with sandbox.client() as http:
        await http.put("/admin/faults", json={"error_rate": 1})
        failed = await http.get("/integrations")
        body = await failed.json()
        health = await http.get("/healthz")
        await http.put("/admin/faults", json={"error_rate": 0})
        ok = await http.get("/integrations")
    assert failed.status in (500, 503) and body["statusCode"] == failed.status
    assert health.status == 200 and ok.status == 200


async def test_company_faults_override_the_global_ones(sandbox):
    async with sandbox.client() as http:
        calm, noisy = await company(http), await company(http, "Noisy")
        await http.put(f"/admin/companies/{noisy}/faults", json={"error_rate": 1.0})
        faults = await (await http.get(f"/admin/companies/{noisy}/faults")).json()
        assert faults["error_rate"] == 1.0 and faults["overrides"] == {"error_rate": 1.0}
        assert (await http.get(f"/companies/{noisy}")).status in (500, 503)
        assert (await http.get(f"/companies/{calm}")).status == 200
        await http.put("/admin/faults", json={"error_rate": 1.0})
        await http.put(f"/admin/companies/{calm}/faults", json={"error_rate": 0})
        assert (await http.get(f"/companies/{calm}")).status == 200
        await http.put("/admin/faults", json={"error_rate": None})
        assert (await (await http.get("/admin/faults")).json())["error_rate"] == 0.0


@pytest.mark.parametrize("body, fragment", [
    ({"error_rate": 1.5}, "error_rate"),
    ({"drop_webhook_rate": "high"}, "drop_webhook_rate"),
    ({"rate_limit_per_minute": 0}, "rate_limit_per_minute"),
    ({"latency_ms": -1}, "latency_ms"),
    ({"nonsense": 1}, "nonsense"),
])
async def test_fault_settings_are_validated(sandbox, body, fragment):
    async with sandbox.client() as http:
        response = await http.put("/admin/faults", json=body)
        message = (await response.json())["error"]
        after = await (await http.get("/admin/faults")).json()
    assert response.status == 400 and fragment in message
    assert after["error_rate"] == 0.0 and after["rate_limit_per_minute"] is None


async def test_latency_delays_codat_calls(sandbox):
    async with sandbox.client() as http:
        await http.put("/admin/faults", json={"latency_ms": 300})
        started = time.monotonic()
        assert (await http.get("/integrations")).status == 200
        elapsed = time.monotonic() - started
    assert elapsed >= 0.3


async def test_timeout_fault_holds_reads_and_times_out_pushes_without_storing(sandbox):
    async with sandbox.client() as http:
        company_id = await company(http)
        await http.post(f"/link/{company_id}", data={"platform": "Xero"})
        connection = sandbox.state.companies[company_id].linked()[0].id
        await http.put(f"/admin/companies/{company_id}/faults", json={"timeout_rate": 1})
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(http.get(f"/companies/{company_id}"), 0.5)
        customer = {"customerName": "Never Stored", "status": "Active"}
        op = await (await http.post(
            f"/companies/{company_id}/connections/{connection}/push/customers", json=customer)).json()
        assert op["status"] == "Pending"
        event = await sandbox.sink.wait_for("customers.write.unsuccessful")
        await http.put(f"/admin/companies/{company_id}/faults", json={"timeout_rate": 0})
        done = await (await http.get(f"/companies/{company_id}/push/{op['pushOperationKey']}")).json()
        customers = await (await http.get(f"/admin/companies/{company_id}/customers")).json()
    assert event["payload"]["status"] == "TimedOut" and event["payload"]["record"] is None
    assert done["status"] == "TimedOut" and done["completedOnUtc"]
    assert not any(c.get("customerName") == "Never Stored" for c in customers["results"])


async def test_duplicate_webhook_fault_sends_the_same_webhook_id_twice(sandbox):
    async with sandbox.client() as http:
        await http.put("/admin/faults", json={"duplicate_webhook_rate": 1})
        company_id = await company(http)
        await http.post(f"/link/{company_id}", data={"platform": "Xero"})
        await sandbox.sink.wait_for("connection.connected", count=2)
        log = await (await http.get("/admin/webhooks")).json()
    first, second = [r for r in sandbox.sink.received if r.event["eventType"] == "connection.connected"]
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.raw == second.raw
    [entry] = [e for e in log["results"] if e["eventType"] == "connection.connected"]
    assert entry["status"] == "delivered" and entry["attempts"] == 2 and entry["copies"] == 2


async def test_drop_webhook_fault_sends_nothing_but_logs_it(sandbox):
    async with sandbox.client() as http:
        await http.put("/admin/faults", json={"drop_webhook_rate": 1})
        company_id = await company(http)
        await http.post(f"/link/{company_id}", data={"platform": "Xero"})
        await sandbox.settle()
        log = await (await http.get("/admin/webhooks", params={"eventType": "connection.connected"})).json()
    assert sandbox.sink.received == []
    assert [(e["status"], e["attempts"]) for e in log["results"]] == [("dropped", 0)]


async def test_failed_deliveries_are_retried_with_backoff():
    timing = Timing(complete_after_s=0.01, timeout_hold_s=1, webhook_backoff_s=(0.05, 0.05, 0.05),
                    webhook_timeout_s=1)
    async with run_sandbox(timing=timing) as sandbox, sandbox.client() as http:
        sandbox.sink.status = 500
        company_id = await company(http)
        await http.post(f"/link/{company_id}", data={"platform": "Xero"})
        await asyncio.sleep(0.07)
        sandbox.sink.status = 200
        event = await sandbox.sink.wait_for("connection.connected")
        await sandbox.settle()
        [entry] = (await (await http.get("/admin/webhooks")).json())["results"]
    assert event["payload"]["connection"]["status"] == "Linked"
    assert entry["status"] == "delivered" and entry["attempts"] >= 2 and entry["lastError"] == "HTTP 500"


async def test_undeliverable_webhooks_end_failed():
    timing = Timing(complete_after_s=0.01, timeout_hold_s=1, webhook_backoff_s=(0.01, 0.01),
                    webhook_timeout_s=1)
    async with run_sandbox(timing=timing) as sandbox, sandbox.client() as http:
        sandbox.sink.status = 503
        company_id = await company(http)
        await http.post(f"/link/{company_id}", data={"platform": "Xero"})
        await sandbox.settle()
        [entry] = (await (await http.get("/admin/webhooks")).json())["results"]
    assert (entry["status"], entry["attempts"]) == ("failed", 3)


async def test_in_flight_counts_concurrent_calls_per_company(sandbox):
    async with sandbox.client() as http:
        busy, quiet = await company(http), await company(http, "Quiet")
        await http.put(f"/admin/companies/{busy}/faults", json={"latency_ms": 300})
        statuses = await asyncio.gather(*(_status(http, f"/companies/{busy}") for _ in range(4)),
                                        _status(http, f"/companies/{quiet}"))
        seen = await (await http.get("/admin/in_flight")).json()
    assert statuses == [200] * 5
    assert seen[busy] == {"now": 0, "max": 4}  # the four slow calls overlapped; all answered
    assert seen[quiet] == {"now": 0, "max": 1}


async def _status(http, path: str) -> int:
    async with http.get(path) as response:
        return response.status
