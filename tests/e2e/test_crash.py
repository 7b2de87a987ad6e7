"""A worker killed between the provider call and its commit: still exactly one document.
Also a graceful SIGTERM loses nothing. ledgersync runs apart from the sandbox here, so it can
be killed while the accounting system keeps its data."""
from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.support.system import db
from tests.support import client, flows
from tests.support.infra import RunInfra
from tests.support.system import RunningSystem


@pytest.fixture(scope="module")
def crashable(provider):
    infra = RunInfra()
    infra.create()
    running = RunningSystem(infra)
    try:
        running.start(separate_sandbox=True, LEDGERSYNC_PROVIDER=provider)
        yield running
    finally:
        running.stop()
        infra.destroy()


def _shop(system):
    partner = system.create_partner("Crash Test Partner")
    entity, sdk, _, product = flows.connected_shop(system, partner, client.token(system.api_url, partner), "Crash KG")
    customer = flows.counterpart(system, entity, "Crash Kunde")
    flows.record_of(sdk, "customer", customer, "done")
    return entity, sdk, product, customer, flows.sandbox_company(system, entity)["id"]


def test_killed_between_provider_call_and_commit(crashable):
    system = crashable
    entity, sdk, product, customer, company = _shop(system)
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"latency_ms": 3000})
    data = flows.invoice_data(customer, [(product, "Consulting", 2, 12000, 1900)])
    client.publish(system.settings.amqp_url, client.cloud_event("receivable.issued", data, entity))
    # the write is on its way (its attempt and key are stored) when the worker dies
    client.wait_for(lambda: db(system, "SELECT 1 FROM push_attempts a JOIN synced_records r ON r.id = a.record_id "
                                       "WHERE r.object_id = $1 AND a.status = 'sending'", uuid.UUID(data["id"])),
                    timeout=20, what="the write to be in flight")
    time.sleep(1.0)  # the request is at the sandbox, which takes 3 s to answer
    system.kill()
    client.wait_for(lambda: [i for i in flows.ledger(system, entity, "invoices")
                             if i.get("invoiceNumber") == data["document_id"]], timeout=20,
                    what="the accounting system to finish the write nobody waits for")
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"latency_ms": None})
    system.restart()
    record = flows.record_of(sdk, "receivable", data["id"], timeout=60)
    assert record.sync_status == "done", record.errors
    invoices = [i for i in flows.ledger(system, entity, "invoices") if i.get("invoiceNumber") == data["document_id"]]
    assert len(invoices) == 1 and invoices[0]["id"] == record.platform_object_id
    attempts = db(system, "SELECT generation, status FROM push_attempts WHERE record_id = $1", uuid.UUID(record.id))
    # Codat: the same idempotency key again answers with the first write; Railz, which has no
    # keys: the write of unknown outcome is looked up (push status, natural key) and found
    settled = "success" if system.settings.provider == "codat" else "timed_out"
    assert [(a["generation"], a["status"]) for a in attempts] == [(0, settled)]


def test_sigterm_loses_nothing(crashable):
    system = crashable
    entity, sdk, product, customer, _ = _shop(system)
    docs = [flows.invoice_data(customer, [(product, "Consulting", 1, 10000 + i, 1900)]) for i in range(20)]
    client.publish(system.settings.amqp_url, *[client.cloud_event("receivable.issued", d, entity) for d in docs])
    assert system.terminate() == 0  # graceful: in-flight messages finish, the rest stay queued
    system.restart()
    for doc in docs:
        assert flows.record_of(sdk, "receivable", doc["id"], timeout=60).sync_status == "done"
    numbers = [i.get("invoiceNumber") for i in flows.ledger(system, entity, "invoices")]
    assert all(numbers.count(d["document_id"]) == 1 for d in docs)
