"""Pulls that cannot succeed record why and stop; flaky pages are retried without duplicates."""
from __future__ import annotations

import uuid

import httpx

from tests.support.system import db
from tests.support import client, flows


def _connected(system, access_token, new_entity, name):
    entity = new_entity(name)
    sdk = client.sdk(system.api_url, access_token, entity)
    connection = flows.connect(system, sdk, entity)
    return entity, sdk, connection, flows.sandbox_company(system, entity)["id"]


def test_pull_after_access_was_revoked_records_the_error_and_does_not_loop(system, access_token, new_entity):
    entity, sdk, connection, company = _connected(system, access_token, new_entity, "Revoked GmbH")
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"drop_webhook_rate": 1.0})
    httpx.post(f"{system.sandbox_url}/admin/companies/{company}/deauthorize").raise_for_status()
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"drop_webhook_rate": None})
    assert sdk.accounting.connections.get_by_id(connection.id).status == "connected"  # not heard of it yet
    sdk.accounting.connections.sync_by_id(connection.id)
    failed = client.wait_for(lambda: (c := sdk.accounting.connections.get_by_id(connection.id)).errors and c,
                             timeout=30, what="the failed sync to be reported")
    assert "sync failed" in failed.errors[0].message
    runs = db(system, "SELECT status, error FROM sync_runs WHERE connection_id = $1 ORDER BY started_at",
              uuid.UUID(connection.id))
    assert runs[-1]["status"] == "failed" and runs[-1]["error"]
    count = len([r for r in runs if r["status"] == "failed"])
    sdk.accounting.connections.sync_by_id(connection.id)
    client.wait_for(lambda: len(db(system, "SELECT 1 FROM sync_runs WHERE connection_id = $1 AND status = "
                                           "'failed'", uuid.UUID(connection.id))) == count + 1, timeout=30)
    assert db(system, "SELECT count(*) AS n FROM sync_runs WHERE connection_id = $1 AND status = 'running'",
              uuid.UUID(connection.id))[0]["n"] == 0  # nothing keeps going in the background


def test_flaky_pages_are_retried_without_duplicating_rows(system, access_token, new_entity):
    entity, sdk, connection, company = _connected(system, access_token, new_entity, "Flaky Pages AG")
    before = {a.id for a in sdk.accounting.ledger_accounts.get(limit=250).data}
    rows_before = db(system, "SELECT count(*) AS n FROM provider_records WHERE connection_id = $1",
                     uuid.UUID(connection.id))[0]["n"]
    httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"error_rate": 0.3})
    try:
        # the refresh request meets the faults too: three 5xx in a row (one run in ~40) put the
        # sync command in the 30 s retry tier, four in the 120 s one
        flows.sync_and_wait(sdk, connection.id, timeout=180)
    finally:
        httpx.put(f"{system.sandbox_url}/admin/companies/{company}/faults", json={"error_rate": None})
    assert {a.id for a in sdk.accounting.ledger_accounts.get(limit=250).data} == before
    assert db(system, "SELECT count(*) AS n FROM provider_records WHERE connection_id = $1",
              uuid.UUID(connection.id))[0]["n"] == rows_before
    assert sdk.accounting.connections.get_by_id(connection.id).errors is None
