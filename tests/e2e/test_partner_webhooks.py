"""Issue 10 from outside: subscriptions through the official SDK, a real receiver verifying
`Monite-Signature`, connections living their lives, endpoints failing, hanging and recovering.

A ledgersync of its own (database and vhost too) with quick retries and few delivery slots:
4 in the process, 2 per subscription."""
from __future__ import annotations

import uuid

import httpx
import pytest
from monite.core.api_error import ApiError

from tests.support import client, flows
from tests.support.hook_receiver import Receiver
from tests.support.infra import RunInfra
from tests.support.system import RunningSystem, cli

SETTINGS = {"LEDGERSYNC_PARTNER_WEBHOOK_RETRY_BASE_S": "0.2", "LEDGERSYNC_PARTNER_WEBHOOK_RETRY_CAP_S": "1",
            "LEDGERSYNC_PARTNER_WEBHOOK_RETRY_FOR": "8s", "LEDGERSYNC_PARTNER_WEBHOOK_TIMEOUT_S": "120",
            "LEDGERSYNC_PARTNER_WEBHOOK_CONCURRENCY": "4", "LEDGERSYNC_PARTNER_WEBHOOK_PER_SUBSCRIPTION": "2",
            "LEDGERSYNC_DB_POOL_MAX": "5"}  # a second system on a shared PostgreSQL: stay small
CONNECTION_EVENTS = ("pending_auth", "connected", "disconnected", "deauthorized")


@pytest.fixture(scope="module")
def hooks():
    infra = RunInfra()
    infra.create()
    running = RunningSystem(infra)
    try:
        running.start(**SETTINGS)
        receiver = Receiver().start()
        yield running, receiver
        receiver.stop()
    finally:
        running.stop()
        infra.destroy()


@pytest.fixture(scope="module")
def acme(hooks):
    system, _ = hooks
    partner = system.create_partner("Hooked Platform")
    return partner, client.token(system.api_url, partner)


def _partner_sdk(system, token, entity=None):
    return client.sdk(system.api_url, token, entity)


def _subscribe(system, receiver, token, name, object_type="accounting_connection", **kw):
    sub = _partner_sdk(system, token).webhook_subscriptions.create(
        object_type=object_type, url=receiver.url(name), **kw)
    receiver.secrets[name] = sub.secret
    return sub


def _entity(system, acme, name):
    partner, token = acme
    return flows.register_entity(system, partner, token, name)


def _events_of(receiver, name, object_id):
    return [h.body for h in receiver.acked(name) if h.body["object_id"] == object_id]


def _wait_events(receiver, name, object_id, count, timeout=60.0):
    return client.wait_for(lambda: len(got := _events_of(receiver, name, object_id)) >= count and got,
                           timeout=timeout, what=f"{count} webhooks about {object_id} at {name}")


def test_subscriptions_through_the_sdk(hooks, acme):
    system, receiver = hooks
    partner = system.create_partner("Subscribing Platform")
    token = client.token(system.api_url, partner)
    entity, _ = flows.register_entity(system, partner, token, "Abo GmbH")
    subs = _partner_sdk(system, token, entity).webhook_subscriptions  # entity header: accepted, ignored
    made = [subs.create(object_type="accounting_connection", url=receiver.url(f"crud-{i}"),
                        event_types=["connected"] if i == 0 else None) for i in range(3)]
    assert all(m.secret.startswith("whsec_") for m in made) and len({m.secret for m in made}) == 3
    got = subs.get_by_id(made[0].id)
    assert (got.event_types, got.status, got.url) == (["connected"], "enabled", receiver.url("crud-0"))
    assert "secret" not in got.model_dump() and "secret" not in httpx.get(
        f"{system.api_url}/v1/webhook_subscriptions/{made[0].id}",
        headers={"Authorization": f"Bearer {token}", "X-Monite-Version": client.VERSION}).json()
    first = subs.get(limit=2, sort="created_at", object_type="accounting_connection")
    second = subs.get(pagination_token=first.next_pagination_token, limit=2)
    assert [s.id for s in first.data + second.data] == [m.id for m in made]
    assert first.next_pagination_token and second.next_pagination_token is None
    assert [s.id for s in subs.get(pagination_token=second.prev_pagination_token).data] == [
        m.id for m in made[:2]]
    newest = subs.get(order="desc", limit=1).data[0]
    assert newest.id == made[2].id

    changed = subs.update_by_id(made[1].id, event_types=["disconnected", "deauthorized"])
    assert changed.event_types == ["disconnected", "deauthorized"] and changed.url == receiver.url("crud-1")
    changed = subs.update_by_id(made[1].id, object_type="accounting_synced_record", event_types=["error"])
    assert (changed.object_type, changed.event_types) == ("accounting_synced_record", ["error"])
    assert subs.disable_by_id(made[1].id).status == "disabled"
    assert subs.get_by_id(made[1].id).status == "disabled"
    assert subs.enable_by_id(made[1].id).status == "enabled"
    renewed = subs.regenerate_secret_by_id(made[1].id)
    assert renewed.secret.startswith("whsec_") and renewed.secret != made[1].secret
    subs.delete_by_id(made[2].id)
    with pytest.raises(ApiError) as gone:
        subs.get_by_id(made[2].id)
    assert gone.value.status_code == 404

    for bad, where in (({"object_type": "entity"}, "object_type"),
                       ({"object_type": "accounting_connection", "event_types": ["done"]}, "event_types"),
                       ({"object_type": "accounting_connection", "url": "not a url"}, "url")):
        with pytest.raises(ApiError) as refused:
            subs.create(**{"url": receiver.url("x"), **bad})
        assert refused.value.status_code == 422, refused.value.body
        assert where in str(refused.value.body["detail"][0]["loc"])
    with pytest.raises(ApiError) as refused:
        subs.create(object_type="payable", url=receiver.url("x"))
    assert "accounting_connection" in str(refused.value.body) and "accounting_synced_record" in str(
        refused.value.body)
    with pytest.raises(ApiError) as refused:
        subs.update_by_id(made[0].id, object_type="accounting_synced_record")  # "connected" is not its event
    assert refused.value.status_code == 422


def test_a_connections_whole_life_arrives_signed_and_in_order(hooks, acme):
    system, receiver = hooks
    _, token = acme
    sub = _subscribe(system, receiver, token, "life")
    entity, sdk = _entity(system, acme, "Lebenslauf KG")
    first = sdk.accounting.connections.create()
    flows.consent(first.connection_url)
    flows.wait_status(sdk, first.id, "connected")
    sdk.accounting.connections.disconnect_by_id(first.id)
    second = sdk.accounting.connections.create()
    flows.consent(second.connection_url)
    flows.wait_status(sdk, second.id, "connected")
    company = flows.sandbox_company(system, entity)
    httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/deauthorize").raise_for_status()

    one = _wait_events(receiver, "life", first.id, 3)
    two = _wait_events(receiver, "life", second.id, 3)
    assert [e["action"] for e in one] == [f"accounting_connection.{s}" for s in
                                          ("pending_auth", "connected", "disconnected")]
    assert [e["action"] for e in two] == [f"accounting_connection.{s}" for s in
                                          ("pending_auth", "connected", "deauthorized")]
    assert all(h.verified for h in receiver.attempts("life"))
    body = one[1]
    assert body["webhook_subscription_id"] == sub.id and body["entity_id"] == entity
    assert body["object_type"] == "accounting_connection" and body["object"]["status"] == "connected"
    assert body["object"]["id"] == first.id and body["api_version"] == client.VERSION
    assert body["created_at"] <= one[2]["created_at"]

    events = sdk.events.get(object_type="accounting_connection", limit=100)
    assert [e.id for e in events.data] == [e["id"] for e in sorted(one + two, key=lambda e: e["created_at"])]
    assert sdk.events.get_by_id(body["id"]).action == "accounting_connection.connected"
    log = [d for d in sdk.webhook_deliveries.get(event_action="connected").data
           if d.webhook_subscription_id == sub.id]
    assert {d.event_id for d in log} == {one[1]["id"], two[1]["id"]}
    assert all(d.was_successful and d.requests_made_count == 1 and d.response_status_code == 200 for d in log)


def test_synced_records_are_announced_for_the_events_asked_for(hooks, acme):
    system, receiver = hooks
    partner, token = acme
    _subscribe(system, receiver, token, "records", "accounting_synced_record", event_types=["done", "error"])
    entity, sdk, _, product = flows.connected_shop(system, partner, token, "Belege AG")
    customer = flows.counterpart(system, entity, "Kunde Fehlerfrei GmbH")
    data = flows.invoice_data(customer, [(product, "Consulting", 1, 10000, 1600)])  # no 16% rate: error
    client.publish(system.settings.amqp_url, client.cloud_event("receivable.issued", data, entity))
    record = flows.record_of(sdk, "receivable", data["id"], "error")
    product_record = flows.record_of(sdk, "product", product, "done")
    [failed] = _wait_events(receiver, "records", record.id, 1)
    [done] = _wait_events(receiver, "records", product_record.id, 1)
    assert failed["action"] == "accounting_synced_record.error" and failed["object"]["errors"]
    assert done["action"] == "accounting_synced_record.done" and done["object"]["object_type"] == "product"
    assert all(h.body["action"].rsplit(".", 1)[1] in ("done", "error") for h in receiver.attempts("records"))


def test_an_endpoint_that_fails_for_a_while_gets_every_event_once(hooks, acme):
    system, receiver = hooks
    _, token = acme
    receiver.modes["flaky"] = "fail"
    _subscribe(system, receiver, token, "flaky")
    _, sdk = _entity(system, acme, "Wackel GmbH")
    created = sdk.accounting.connections.create()
    flows.consent(created.connection_url)
    flows.wait_status(sdk, created.id, "connected")
    sdk.accounting.connections.disconnect_by_id(created.id)
    # other tests' events reach this endpoint too: wait for a refusal of this connection's first event
    client.wait_for(lambda: any(h.status == 503 and h.body.get("object_id") == created.id
                                and h.body.get("action", "").endswith(".pending_auth")
                                for h in receiver.attempts("flaky")), what="this connection's first event refused")
    receiver.modes["flaky"] = "ok"
    got = _wait_events(receiver, "flaky", created.id, 3)
    assert [e["action"].rsplit(".", 1)[1] for e in got] == ["pending_auth", "connected", "disconnected"]
    assert len({e["id"] for e in got}) == len(got) == 3
    # the partner's other subscriptions get this event too: read the delivery to this endpoint
    log = client.wait_for(lambda: (d := [x for x in sdk.webhook_deliveries.get(event_id=got[0]["id"]).data
                                         if x.url.endswith("/flaky")]) and d[0].was_successful and d,
                          what="the delivery log to settle")
    assert log[0].requests_made_count >= 2 and log[0].response_status_code == 200
    codes = [a["status_code"] for a in log[0].model_dump()["attempts"]]
    assert codes[-1] == 200 and set(codes[:-1]) == {503}


def test_a_regenerated_secret_signs_the_next_deliveries(hooks, acme):
    system, receiver = hooks
    _, token = acme
    sub = _subscribe(system, receiver, token, "rotate")
    _, sdk = _entity(system, acme, "Schlüssel OHG")
    created = sdk.accounting.connections.create()
    _wait_events(receiver, "rotate", created.id, 1)
    old = receiver.secrets["rotate"]
    receiver.secrets["rotate"] = _partner_sdk(system, token).webhook_subscriptions.regenerate_secret_by_id(
        sub.id).secret
    flows.consent(created.connection_url)
    first, second = _wait_events(receiver, "rotate", created.id, 2)
    assert second["action"] == "accounting_connection.connected"
    [hit] = [h for h in receiver.acked("rotate") if h.body["id"] == second["id"]]
    assert hit.verified and not _verifies(old, hit)


def _verifies(secret, hit) -> bool:
    from tests.support.hook_receiver import verify
    return verify(secret, hit.signature, hit.raw)


def test_a_disabled_subscription_receives_nothing(hooks, acme):
    system, receiver = hooks
    _, token = acme
    subs = _partner_sdk(system, token).webhook_subscriptions
    on = _subscribe(system, receiver, token, "on")
    off = _subscribe(system, receiver, token, "off")
    subs.disable_by_id(off.id)
    _, sdk = _entity(system, acme, "Stumm AG")
    created = sdk.accounting.connections.create()
    [event] = _wait_events(receiver, "on", created.id, 1)
    log = {d.webhook_subscription_id for d in sdk.webhook_deliveries.get(event_id=event["id"]).data}
    assert on.id in log and off.id not in log
    assert _events_of(receiver, "off", created.id) == []
    subs.enable_by_id(off.id)
    flows.consent(created.connection_url)
    [later] = _wait_events(receiver, "off", created.id, 1)
    assert later["action"] == "accounting_connection.connected"


def test_a_dead_endpoint_does_not_slow_a_healthy_one(hooks, acme):
    system, receiver = hooks
    partner, token = acme
    receiver.modes["dead"] = "hang"
    _subscribe(system, receiver, token, "dead")
    other = system.create_partner("Healthy Platform")
    other_token = client.token(system.api_url, other)
    _subscribe(system, receiver, other_token, "healthy")
    _subscribe(system, receiver, token, "alive")
    mine = [_entity(system, acme, f"Tot {i} GmbH")[1].accounting.connections.create() for i in range(4)]
    theirs = [flows.register_entity(system, other, other_token, f"Gesund {i} AG")[1]
              .accounting.connections.create() for i in range(4)]
    for created in theirs:
        _wait_events(receiver, "healthy", created.id, 1)
    for created in mine:
        _wait_events(receiver, "alive", created.id, 1)
    # the dead endpoint still holds its two slots, no more, and has answered nothing
    assert receiver.open_requests["dead"] == 2 and receiver.attempts("dead") == []
    receiver.release_hung()
    receiver.modes["dead"] = "ok"


def test_another_partners_subscriptions_and_deliveries_are_invisible(hooks, acme):
    system, receiver = hooks
    _, token = acme
    sub = _subscribe(system, receiver, token, "private")
    entity, sdk = _entity(system, acme, "Geheim GmbH")
    created = sdk.accounting.connections.create()
    _wait_events(receiver, "private", created.id, 1)
    stranger = system.create_partner("Nosy Platform")
    nosy = _partner_sdk(system, client.token(system.api_url, stranger), entity)
    assert sub.id not in [s.id for s in nosy.webhook_subscriptions.get(limit=100).data]
    for call in (lambda: nosy.webhook_subscriptions.get_by_id(sub.id),
                 lambda: nosy.webhook_subscriptions.update_by_id(sub.id, url="https://evil.example/"),
                 lambda: nosy.webhook_subscriptions.disable_by_id(sub.id),
                 lambda: nosy.webhook_subscriptions.regenerate_secret_by_id(sub.id),
                 lambda: nosy.webhook_subscriptions.delete_by_id(sub.id),
                 lambda: nosy.webhook_deliveries.get(), lambda: nosy.events.get()):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status_code == 404
    assert _partner_sdk(system, token).webhook_subscriptions.get_by_id(sub.id).url == receiver.url("private")


def test_failed_deliveries_are_replayed(hooks, acme):
    system, receiver = hooks
    _, token = acme
    receiver.modes["down"] = "fail"
    sub = _subscribe(system, receiver, token, "down")
    _, sdk = _entity(system, acme, "Wiederholung KG")
    created = sdk.accounting.connections.create()
    [failed] = client.wait_for(lambda: [d for d in sdk.webhook_deliveries.get().data
                                        if d.webhook_subscription_id == sub.id and d.status == "failed"],
                               timeout=60, what="the delivery to give up")
    assert failed.was_successful is False and failed.requests_made_count >= 2
    receiver.modes["down"] = "ok"
    out = cli(system.env, "webhooks", "replay", "--subscription", sub.id, "--since", "2020-01-01")
    assert failed.id in out
    [event] = _wait_events(receiver, "down", created.id, 1)
    assert event["id"] == failed.event_id
    assert cli(system.env, "webhooks", "replay", "--subscription", str(uuid.uuid4())) == ""
