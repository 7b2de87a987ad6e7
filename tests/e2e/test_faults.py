"""The infrastructure fails under a running `ledgersync run` while invoices flow: its broker
connections are force-closed (and kept out for a while), its database backends are terminated
(and kept out for a while). Readiness says so and comes back by itself, the consumers
resubscribe, the scheduler leads again, and every invoice is in the ledger exactly once.
Only this test's own vhost and database are touched."""
from __future__ import annotations

import httpx
import pytest

from services.core import topology
from tests.support import client, flows, syncrun
from tests.support.infra import PG_ADMIN, RunInfra, rabbitmqctl
from tests.support.system import RunningSystem

QUEUES = tuple(spec.name for spec in topology.QUEUES)  # `ledgersync run` consumes them all


@pytest.fixture(scope="module")
def faulty():
    infra = RunInfra()
    infra.create()
    running = RunningSystem(infra)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        infra.destroy()


@pytest.fixture(scope="module")
def shop(faulty):
    partner = faulty.create_partner("Fault Test Partner")
    entity, sdk, _, product = flows.connected_shop(faulty, partner, client.token(faulty.api_url, partner),
                                                   "Störfall GmbH")
    customer = flows.counterpart(faulty, entity, "Störfall Kunde")
    flows.record_of(sdk, "customer", customer, "done")
    return entity, sdk, product, customer


def readiness(system) -> tuple[int, dict]:
    response = httpx.get(system.api_url + "/readyz", timeout=5)
    return response.status_code, response.json()


def wait_readiness(system, status: int, what: str, **expected) -> dict:
    def check():
        code, body = readiness(system)
        return code == status and all(body[k] == v for k, v in expected.items()) and body
    return client.wait_for(check, timeout=60, every=0.1, what=what)


def start_flow(system, shop, count: int) -> list[dict]:
    """Publish ``count`` invoices and wait until the first is done: work is flowing."""
    entity, sdk, product, customer = shop
    docs = [flows.invoice_data(customer, [(product, "Consulting", 1, 20000 + i, 1900)]) for i in range(count)]
    client.publish(system.settings.amqp_url, *[client.cloud_event("receivable.issued", d, entity) for d in docs])
    flows.record_of(sdk, "receivable", docs[0]["id"], "done", timeout=60)
    return docs


def assert_each_once_and_done(system, shop, docs: list[dict]) -> None:
    entity, sdk, *_ = shop
    for doc in docs:
        record = flows.record_of(sdk, "receivable", doc["id"], timeout=120)
        assert record.sync_status == "done", record.errors
    numbers = [i.get("invoiceNumber") for i in flows.ledger(system, entity, "invoices")]
    assert all(numbers.count(d["document_id"]) == 1 for d in docs)


def events(system, name: str) -> list[dict]:
    return [line for line in system.log_lines() if line.get("event") == name]


def metric(system, name: str) -> float:
    text = httpx.get(system.api_url + "/metrics").text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " ")
               or line.startswith(name + "{"))


def test_broker_connections_force_closed_and_kept_out_while_invoices_flow(faulty, shop):
    system, vhost = faulty, faulty.infra.vhost
    assert readiness(system) == (200, {"database": "ok", "broker": "ok",
                                       "consumers": {q: "subscribed" for q in QUEUES}})
    docs = start_flow(system, shop, 30)
    rabbitmqctl("clear_permissions", "-p", vhost, "guest")  # reconnects are refused until restored
    try:
        rabbitmqctl("close_all_connections", "--vhost", vhost, "--limit", "1000", "fault test")
        down = wait_readiness(system, 503, "readiness to report the broker down", broker="down")
        assert down["database"] == "ok" and down["consumers"] == {q: "not subscribed" for q in QUEUES}
    finally:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    wait_readiness(system, 200, "readiness to come back", broker="ok")
    assert_each_once_and_done(system, shop, docs)
    assert {e["queue"] for e in events(system, "consumer.lost")} >= set(QUEUES)
    assert {e["queue"] for e in events(system, "consumer.resumed")} >= set(QUEUES)
    assert metric(system, "ledgersync_broker_reconnects_total") >= 1
    assert metric(system, "ledgersync_consumers_subscribed") == len(QUEUES)


async def _keep_out(db_name: str, allow: bool) -> int:
    import asyncpg
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'ALTER DATABASE "{db_name}" ALLOW_CONNECTIONS {str(allow).lower()}')
        if allow:
            return 0
        return len(await admin.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = $1 AND pid <> pg_backend_pid()", db_name))
    finally:
        await admin.close()


def test_database_backends_terminated_and_kept_out_while_invoices_flow(faulty, shop):
    system, db_name = faulty, faulty.infra.db_name
    leading_before = len(events(system, "scheduler.leading"))
    docs = start_flow(system, shop, 30)
    try:
        assert syncrun.run(_keep_out(db_name, allow=False)) > 0
        down = wait_readiness(system, 503, "readiness to report the database down", database="down")
        assert down["broker"] == "ok"
    finally:
        syncrun.run(_keep_out(db_name, allow=True))
    wait_readiness(system, 200, "readiness to come back", database="ok")
    assert_each_once_and_done(system, shop, docs)
    client.wait_for(lambda: len(events(system, "scheduler.leading")) > leading_before, timeout=60,
                    what="the scheduler to lead again")
    assert metric(system, "ledgersync_database_reconnects_total") >= 1


def test_the_faults_left_no_unretrieved_task_exception_no_callback_error_and_no_500(faulty):
    """Runs after the faults above (pytest keeps file order)."""
    assert "Task exception was never retrieved" not in faulty.log_path.read_text()
    lines = faulty.log_lines()
    assert [line for line in lines if line.get("logger") == "aio_pika.tools"] == []  # close callbacks
    # the database being away is a 503 with Retry-After (the provider retries its webhook), not a 500
    assert [line for line in lines if line.get("event") == "http.request"
            and line["status"] >= 500 and line["status"] != 503] == []
    assert [line for line in lines if str(line.get("event")).startswith("Error handling request")] == []
