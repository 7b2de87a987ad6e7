"""Exactly once under faults: dropped, duplicated and concurrent webhooks, 5xx, timeouts, 429s."""
from __future__ import annotations

import concurrent.futures
import json
import uuid

import httpx

from tests.support.system import db
from tests.support import client, flows
from tests.support import webhooks as hooks
from tests.support.broker import drain, listen


def _tenant(system, partner, access_token, name: str):
    entity, sdk, connection, product = flows.connected_shop(system, partner, access_token, name)
    customer = flows.counterpart(system, entity, f"{name} Kunde")
    flows.record_of(sdk, "customer", customer, "done")
    return entity, sdk, connection, product, customer, flows.sandbox_company(system, entity)["id"]


def _faults(system, company: str, **faults) -> None:
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json=faults).raise_for_status()


def _issue(system, entity, product, customer, n: int = 1) -> list[dict]:
    docs = [flows.invoice_data(customer, [(product, "Consulting", 1 + i % 3, 12000 + i, 1900)]) for i in range(n)]
    client.publish(system.settings.amqp_url, *[client.cloud_event("receivable.issued", d, entity) for d in docs])
    return docs


def _count(system, entity, number: str) -> int:
    return len([i for i in flows.ledger(system, entity, "invoices") if i.get("invoiceNumber") == number])


def test_dropped_webhooks_are_made_up_by_the_recheck(system, partner, access_token):
    entity, sdk, _, product, customer, company = _tenant(system, partner, access_token, "Drop GmbH")
    _faults(system, company, drop_webhook_rate=1.0)
    [doc] = _issue(system, entity, product, customer)
    record = flows.record_of(sdk, "receivable", doc["id"], "done", timeout=45)
    assert record.platform_object_id and _count(system, entity, doc["document_id"]) == 1


def test_the_same_webhook_ten_times_at_once_settles_once(system, partner, access_token):
    entity, sdk, _, product, customer, company = _tenant(system, partner, access_token, "Echo GmbH")
    events = listen(system.settings.amqp_url, "ledgersync.events", "synced_record.status_changed")
    _faults(system, company, duplicate_webhook_rate=1.0)
    [doc] = _issue(system, entity, product, customer)
    record = flows.record_of(sdk, "receivable", doc["id"], "done")
    [op] = db(system, "SELECT operation_id FROM push_attempts WHERE record_id = $1", uuid.UUID(record.id))
    body = hooks.write_succeeded(system, company, op["operation_id"], "some-other-id")
    raw, headers = hooks.signed(system, body)
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: httpx.post(hooks.url(system), content=raw, headers=headers), range(10)))
    assert sorted(a.json()["status"] for a in answers) == ["accepted"] + ["duplicate"] * 9
    client.wait_for(lambda: db(system, "SELECT processed_at FROM webhook_deliveries WHERE webhook_id = $1",
                               hooks.delivery_id(system, raw, headers))[0]["processed_at"],
                    what="the webhook processed")
    after = sdk.accounting.synced_records.get_by_id(record.id)
    assert after.platform_object_id == record.platform_object_id and after.updated_at == record.updated_at
    changes = [json.loads(b)["data"] for b, _ in drain(system.settings.amqp_url, events)]
    to_done = [c for c in changes if c["id"] == record.id and c["sync_status"] == "done"]
    assert len(to_done) == 1
    assert _count(system, entity, doc["document_id"]) == 1


def test_server_errors_retry_to_exactly_one_document_each(system, partner, access_token):
    entity, sdk, _, product, customer, company = _tenant(system, partner, access_token, "Flaky GmbH")
    _faults(system, company, error_rate=0.5)
    docs = _issue(system, entity, product, customer, n=6)
    for doc in docs:
        assert flows.record_of(sdk, "receivable", doc["id"], "done", timeout=90).platform_object_id
    _faults(system, company, error_rate=0.0)
    for doc in docs:
        assert _count(system, entity, doc["document_id"]) == 1


def test_a_timed_out_write_is_looked_up_before_it_is_pushed_again(system, partner, access_token):
    entity, sdk, _, product, customer, company = _tenant(system, partner, access_token, "Slowpoke GmbH")
    _faults(system, company, timeout_rate=1.0)
    [doc] = _issue(system, entity, product, customer)

    # the sandbox's own log of what it sent: Codat times the write out; Railz does the write but
    # its answer never reaches us
    outcome = "invoices.write.unsuccessful" if system.settings.provider == "codat" else "push"

    def timed_out():
        sent = httpx.get(f"{system.sandbox_url}/admin/webhooks", params={
            "companyId": company, "eventType": outcome}).json()["results"]
        return bool(sent)
    client.wait_for(timed_out, timeout=30, what="the sandbox to time the write out")
    _faults(system, company, timeout_rate=0.0)
    record = flows.record_of(sdk, "receivable", doc["id"], timeout=90)
    assert record.sync_status == "done", record.errors
    attempts = db(system, "SELECT generation, status FROM push_attempts WHERE record_id = $1 ORDER BY generation",
                  uuid.UUID(record.id))
    assert attempts[0]["status"] == "timed_out"
    if system.settings.provider == "codat":  # pushed again, once, after it was not found
        assert attempts[-1]["status"] == "success"
    else:  # it was written: found by its number, never pushed again
        assert len(attempts) == 1 and record.platform_object_id
    assert _count(system, entity, doc["document_id"]) == 1


def test_a_throttled_tenant_does_not_hold_up_another(system, partner, access_token):
    slow_entity, slow_sdk, slow_conn, slow_product, slow_customer, slow_company = _tenant(
        system, partner, access_token, "Throttled GmbH")
    fast_entity, fast_sdk, _, fast_product, fast_customer, _ = _tenant(system, partner, access_token, "Fast GmbH")
    _faults(system, slow_company, rate_limit_per_minute=2)
    slow_docs = _issue(system, slow_entity, slow_product, slow_customer, n=8)
    client.wait_for(lambda: db(system, "SELECT throttled_until FROM accounting_connections WHERE id = $1",
                               uuid.UUID(slow_conn.id))[0]["throttled_until"], timeout=30,
                    what="the slow tenant to be paused")
    fast_docs = _issue(system, fast_entity, fast_product, fast_customer, n=3)
    for doc in fast_docs:
        flows.record_of(fast_sdk, "receivable", doc["id"], "done", timeout=20)
    pending = [d for d in slow_docs if slow_sdk.accounting.synced_records.get(
        object_type="receivable", object_id=d["id"]).data[0].sync_status == "pending"]
    assert pending, "the throttled tenant still has work waiting while the other tenant got through"
    _faults(system, slow_company, rate_limit_per_minute=None)
    # what got through while paused got through once (the rest resumes when the pause ends)
    for doc in slow_docs:
        assert _count(system, slow_entity, doc["document_id"]) <= 1
