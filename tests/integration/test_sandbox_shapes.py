"""Sandbox provider: every kind of answer and webhook it gives validates against Codat's
published OpenAPI files (through ``tests.codat_spec``), including the error and failure paths
the adapter's contract test does not reach."""
from __future__ import annotations

import pytest

from services.sandbox_provider.state import Timing
from services.sandbox_provider.testing import run_sandbox
from tests import codat_spec

pytestmark = pytest.mark.asyncio(loop_scope="session")
DATASETS = ("accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills",
            "creditNotes", "payments", "billPayments")


class Recorder:
    def __init__(self, http) -> None:
        self.http = http
        self.failures: list[str] = []
        self.seen: set[tuple[str, str, int]] = set()

    async def call(self, method: str, path: str, **kwargs) -> tuple[int, object]:
        async with self.http.request(method, path, **kwargs) as response:
            body = await response.json() if response.content_length != 0 and \
                response.content_type == "application/json" else None
            target = path
            if kwargs.get("params"):
                target += "?" + "&".join(f"{k}={v}" for k, v in kwargs["params"].items())
            try:
                checked = codat_spec.validate_response(method, target, response.status, body)
                self.seen.add((checked.method, checked.template, response.status))
            except AssertionError as exc:
                self.failures.append(str(exc)[:3000])
            return response.status, body


async def test_every_answer_and_webhook_matches_the_spec():
    timing = Timing(complete_after_s=0.02, timeout_hold_s=0.2, webhook_backoff_s=(0.02,),
                    webhook_timeout_s=1)
    async with run_sandbox(timing=timing) as sandbox, sandbox.client() as http:
        r = Recorder(http)
        await r.call("GET", "/integrations")
        await r.call("GET", "/integrations/gbol")
        await r.call("GET", "/integrations/zzzz")
        _, company = await r.call("POST", "/companies", json={"name": "Shape GmbH",
                                                             "tags": {"entity_id": "e"}})
        await r.call("POST", "/companies", json={})
        c = f"/companies/{company['id']}"
        await r.call("GET", "/companies", params={"page": 1, "pageSize": 10})
        _, pending = await r.call("POST", f"{c}/connections", json={"platformKey": "gbol"})
        await r.call("GET", f"{c}/data/invoices")                      # 409
        await r.call("POST", f"{c}/data/all")                          # AuthError pulls
        await sandbox.settle()
        await r.call("GET", f"{c}/data/history")
        await http.post(f"/link/{company['id']}", data={"platform": "Xero"})
        await r.call("GET", f"{c}/connections/{pending['id']}")
        await r.call("GET", f"{c}/connections")
        await r.call("POST", f"{c}/data/queue/invoices", params={"connectionId": pending["id"]})
        await r.call("POST", f"{c}/data/all")
        await sandbox.settle()
        await r.call("GET", f"{c}/dataStatus")
        await r.call("GET", f"{c}")
        for name in DATASETS:
            _, page = await r.call("GET", f"{c}/data/{name}", params={"page": 1, "pageSize": 3})
            await r.call("GET", f"{c}/data/{name}/{page['results'][0]['id']}")
        await r.call("GET", f"{c}/data/customers/missing")
        await r.call("GET", f"{c}/data/customers", params={"pageSize": 0})

        push = f"{c}/connections/{pending['id']}/push"
        await r.call("POST", f"{push}/customers", json={"customerName": "X", "status": "Active"})
        await r.call("POST", f"{push}/invoices", json={
            "customerRef": {"id": "nope"}, "issueDate": "2026-11-01", "lineItems": [
                {"unitAmount": 1.0, "quantity": 1.0}], "totalTaxAmount": 0.0, "totalAmount": 1.0,
            "amountDue": 1.0, "status": "Draft"})
        await http.put(f"/admin/companies/{company['id']}/faults", json={"timeout_rate": 1})
        await r.call("POST", f"{push}/suppliers", json={"supplierName": "Y", "status": "Active"})
        await sandbox.settle()
        await http.put(f"/admin/companies/{company['id']}/faults",
                       json={"timeout_rate": None, "rate_limit_per_minute": 1})
        _, ops = await r.call("GET", f"{c}/push")
        await http.put(f"/admin/companies/{company['id']}/faults", json={"rate_limit_per_minute": None})
        for op in ops["results"]:
            await r.call("GET", f"{c}/push/{op['pushOperationKey']}")
        await http.put(f"/admin/companies/{company['id']}/faults", json={"rate_limit_per_minute": 1})
        await r.call("GET", f"{c}/push")
        await r.call("GET", f"{c}/push")                                # 429
        await http.put(f"/admin/companies/{company['id']}/faults", json={"rate_limit_per_minute": None})
        await r.call("PATCH", f"{c}/connections/{pending['id']}", json={"status": "Unlinked"})
        await http.post(f"/link/{company['id']}", data={"platform": "QuickBooks Online",
                                                        "action": "deny"})
        await sandbox.settle()
        await r.call("DELETE", f"{c}/connections/{pending['id']}")
        await r.call("DELETE", c)
        await r.call("GET", c)                                         # 404
        async with sandbox.client(authenticated=False) as anonymous:
            await Recorder(anonymous).call("GET", "/companies")
            unauthorized = Recorder(anonymous)
            await unauthorized.call("GET", "/companies")
            r.failures += unauthorized.failures
            r.seen |= unauthorized.seen
        webhooks = [received.event for received in sandbox.sink.received]

    for event in webhooks:
        try:
            codat_spec.validate_webhook(event)
        except AssertionError as exc:
            r.failures.append(str(exc)[:3000])
    assert not r.failures, "\n\n".join(r.failures)
    statuses = {status for _m, _t, status in r.seen}
    assert {200, 204, 400, 401, 404, 409, 429} <= statuses, statuses
    kinds = {e["eventType"] for e in webhooks}
    assert {"connection.connected", "connection.failed", "connection.disconnected",
            "read.completed", "customers.write.successful", "invoices.write.unsuccessful",
            "suppliers.write.unsuccessful"} <= kinds, kinds
