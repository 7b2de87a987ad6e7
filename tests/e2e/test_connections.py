"""Issue 2, driven as a partner would: the official SDK against a running ledgersync."""
from __future__ import annotations

import concurrent.futures
import json
import re
import uuid
from datetime import timedelta

import httpx
import pytest
from monite.core.api_error import ApiError

from tests.support.system import db
from tests.support import client, flows
from tests.support.broker import drain, listen
from tests.support.flows import consent, sandbox_company, wait_pulled, wait_status


def test_connect_disconnect_and_reconnect(system, access_token, new_entity):
    entity = new_entity()
    sdk = client.sdk(system.api_url, access_token, entity)
    assert sdk.accounting.connections.get().data == []

    created = sdk.accounting.connections.create()
    assert created.status == "pending_auth" and created.platform is None and created.last_pull is None
    assert created.connection_url.startswith(system.sandbox_url)

    with pytest.raises(ApiError) as second:
        sdk.accounting.connections.create()
    assert second.value.status_code == 409 and created.id in second.value.body["error"]["message"]

    assert consent(created.connection_url, "Xero").status_code == 200
    connected = wait_status(sdk, created.id, "connected")
    assert connected.platform == "xero"
    pulled = wait_pulled(sdk, created.id)  # Railz tells the business info on request: by the first pull
    assert pulled.business_info is not None and pulled.business_info.name
    assert [c.id for c in sdk.accounting.connections.get().data] == [created.id]

    with pytest.raises(ApiError) as while_connected:
        sdk.accounting.connections.create()
    assert while_connected.value.status_code == 409

    disconnected = sdk.accounting.connections.disconnect_by_id(created.id)
    assert disconnected.status == "disconnected"
    company = sandbox_company(system, entity)
    assert [x["status"] for x in company["connections"]] == ["Unlinked"]

    again = sdk.accounting.connections.create()
    assert again.status == "pending_auth" and again.id != created.id
    assert {c.id for c in sdk.accounting.connections.get().data} == {created.id, again.id}



def test_an_expired_consent_link_is_renewed_when_its_connection_is_read(system, access_token, new_entity):
    entity = new_entity()
    sdk = client.sdk(system.api_url, access_token, entity)
    created = sdk.accounting.connections.create()
    sql = "SELECT connection_url_expires_at AS at FROM accounting_connections WHERE id = $1"
    expires = db(system, sql, uuid.UUID(created.id))[0]["at"]
    if system.settings.provider == "codat":  # a Hosted Link does not expire: the same link, always
        assert expires is None and sdk.accounting.connections.get_by_id(created.id).connection_url == \
            created.connection_url
        return
    assert timedelta(days=4, hours=23) < expires - created.created_at < timedelta(days=5, minutes=1)  # Railz
    company = sandbox_company(system, entity)["id"]
    httpx.post(f"{system.sandbox_url}/admin/railz/businesses/{company}/expire_links").raise_for_status()
    assert httpx.get(created.connection_url).status_code == 410
    db(system, "UPDATE accounting_connections SET connection_url_expires_at = now() WHERE id = $1",
       uuid.UUID(created.id))  # five days later
    [listed] = sdk.accounting.connections.get().data
    fresh = sdk.accounting.connections.get_by_id(created.id)
    assert listed.connection_url == fresh.connection_url != created.connection_url
    assert consent(fresh.connection_url, "Xero").status_code == 200
    assert wait_status(sdk, created.id, "connected").platform == "xero"

@pytest.mark.parametrize("platform", ["quickbooks_online", "quickbooks"])
def test_preselected_platform_links_that_platform(system, access_token, new_entity, platform):
    entity = new_entity()
    resp = httpx.post(f"{system.api_url}/v1/accounting_connections", json={"platform": platform},
                      headers={"Authorization": f"Bearer {access_token}",
                               "X-Monite-Version": client.VERSION, "X-Monite-Entity-Id": entity})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    page = httpx.get(body["connection_url"]).text
    if system.settings.provider == "codat":  # Codat links that platform's connection
        assert re.search(r'<option[^>]*selected[^>]*>\s*QuickBooks Online\s*<', page)
    else:  # Railz's sites link takes no platform: the user picks it there
        assert re.search(r'<option[^>]*>\s*QuickBooks Online\s*<', page)
    consent(body["connection_url"], "QuickBooks Online")
    sdk = client.sdk(system.api_url, access_token, entity)
    assert wait_status(sdk, body["id"], "connected").platform == "quickbooks_online"


def test_deauthorized_in_the_accounting_system(system, access_token, new_entity):
    entity = new_entity("Deauth GmbH")
    sdk = client.sdk(system.api_url, access_token, entity)
    created = sdk.accounting.connections.create()
    consent(created.connection_url)
    wait_status(sdk, created.id, "connected")
    company = sandbox_company(system, entity)
    assert httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/deauthorize").status_code < 300
    assert wait_status(sdk, created.id, "deauthorized").platform == "xero"
    assert sdk.accounting.connections.create().status == "pending_auth"  # the slot is free again


def test_concurrent_creates_give_exactly_one_connection(system, access_token, new_entity):
    entity = new_entity("Race Ltd")
    headers = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION,
               "X-Monite-Entity-Id": entity}

    def create(_):
        return httpx.post(f"{system.api_url}/v1/accounting_connections", headers=headers, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = sorted(r.status_code for r in pool.map(create, range(8)))
    assert statuses == [201] + [409] * 7
    listed = httpx.get(f"{system.api_url}/v1/accounting_connections", headers=headers).json()["data"]
    assert len(listed) == 1


def test_sync_needs_a_connected_connection(system, access_token, new_entity):
    sdk = client.sdk(system.api_url, access_token, new_entity("Sync AG"))
    created = sdk.accounting.connections.create()
    with pytest.raises(ApiError) as pending:
        sdk.accounting.connections.sync_by_id(created.id)
    assert pending.value.status_code == 409 and "pending_auth" in pending.value.body["error"]["message"]
    consent(created.connection_url)
    wait_status(sdk, created.id, "connected")
    assert sdk.accounting.connections.sync_by_id(created.id).message


def test_other_partners_entity_is_not_found(system, other_partner, access_token, new_entity):
    entity = new_entity("Mine GmbH")
    mine = client.sdk(system.api_url, access_token, entity)
    created = mine.accounting.connections.create()
    theirs = client.sdk(system.api_url, client.token(system.api_url, other_partner), entity)
    for call in (theirs.accounting.connections.get, theirs.accounting.connections.create,
                 lambda: theirs.accounting.connections.get_by_id(created.id)):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status_code == 404
        assert "Entity not found" in refused.value.body["error"]["message"]


def test_status_changes_are_announced_on_ledgersync_events(system, access_token, new_entity):
    queue = listen(system.settings.amqp_url, "ledgersync.events", "accounting_connection.status_changed")
    sdk = client.sdk(system.api_url, access_token, new_entity("Announce GmbH"))
    created = sdk.accounting.connections.create()
    consent(created.connection_url)
    wait_status(sdk, created.id, "connected")
    sdk.accounting.connections.disconnect_by_id(created.id)
    events = []
    client.wait_for(lambda: events.extend(json.loads(b) for b, _ in drain(system.settings.amqp_url, queue))
                    or len([e for e in events if e["data"]["id"] == created.id]) >= 3, what="three announcements")
    mine = [e for e in events if e["data"]["id"] == created.id]
    assert [(e["data"]["previous_status"], e["data"]["status"]) for e in mine] == [
        (None, "pending_auth"), ("pending_auth", "connected"), ("connected", "disconnected")]
    assert mine[0]["data"]["connection_url"] == created.connection_url
    assert all(e["source"] == "ledgersync" and e["specversion"] == "1.0" for e in mine)
    assert mine[1]["data"]["platform"] == "xero"


def test_sync_and_data_pulls_do_not_start_a_running_sync_twice(system, access_token, new_entity):
    entity = new_entity("Once Only AG")
    sdk = client.sdk(system.api_url, access_token, entity)
    created = sdk.accounting.connections.create()
    consent(created.connection_url)
    pulled = flows.wait_pulled(sdk, created.id)
    headers = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION,
               "X-Monite-Entity-Id": entity}
    base = f"{system.api_url}/v1/accounting_connections/{created.id}"
    first = httpx.post(base + "/sync", headers=headers)
    second = httpx.post(base + "/data_pulls", headers=headers, params={"resource_type": "receivables"})
    assert first.status_code == 202 and first.json()["message"] == "Started connection data sync."
    assert second.status_code == 202
    [pull] = second.json()["data"]
    assert pull["connection_id"] == created.id and pull["status"] == "queued"
    flows.wait_pulled(sdk, created.id, after=pulled.last_pull)
    runs = db(system, "SELECT trigger FROM sync_runs WHERE connection_id = $1 ORDER BY started_at",
              uuid.UUID(created.id))
    assert [r["trigger"] for r in runs] == ["connected", "api"]  # the data pull joined the running sync
