"""Events in and webhooks in: bad input is parked or refused with its reason, nothing twice."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.support import client
from tests.support import webhooks as hooks
from tests.support.broker import dead_letters_mentioning
from tests.support.system import db

def test_malformed_and_unknown_events_are_dead_lettered_and_consumer_goes_on(system, partner, access_token):
    marker = uuid.uuid4().hex
    entity = str(uuid.uuid4())
    client.publish(system.settings.amqp_url,
                   ("entity.created", f'{{"broken json {marker}'.encode()),
                   client.cloud_event("entity.exploded", {"marker": marker}, entity),
                   client.cloud_event("entity.created", {"id": entity, "marker": marker}, entity),
                   client.cloud_event("entity.created", client.entity_data(
                       entity, str(uuid.uuid4()), f"No Partner {marker}"), entity))
    reasons = [h["x-ledgersync-reason"] for h in dead_letters_mentioning(system, marker, count=4)]
    assert len(reasons) == 4
    text = " | ".join(reasons)
    assert "not valid JSON" in text or "JSON" in text
    assert "entity.exploded" in text
    assert "partner_id" in text or "name" in text          # missing required fields are named
    assert "unknown partner" in text
    # the consumer keeps going: a good event after the bad ones is applied
    good = str(uuid.uuid4())
    client.publish(system.settings.amqp_url, client.cloud_event(
        "entity.created", client.entity_data(good, partner["partner_id"]), good))
    client.wait_for(lambda: db(system, "SELECT 1 FROM entities WHERE id = $1", uuid.UUID(good)),
                    what="the good entity")


def test_duplicate_and_stale_entity_events_change_nothing(system, partner):
    entity = str(uuid.uuid4())
    event = client.cloud_event("entity.created", client.entity_data(entity, partner["partner_id"], "First"), entity)
    client.publish(system.settings.amqp_url, event, event)
    client.wait_for(lambda: db(system, "SELECT 1 FROM entities WHERE id = $1", uuid.UUID(entity)))
    older = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    client.publish(system.settings.amqp_url, client.cloud_event(
        "entity.updated", client.entity_data(entity, partner["partner_id"], "Stale", updated_at=older), entity))
    newer = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    client.publish(system.settings.amqp_url, client.cloud_event(
        "entity.updated", client.entity_data(entity, partner["partner_id"], "Newer", updated_at=newer), entity))
    client.wait_for(lambda: db(system, "SELECT name FROM entities WHERE id = $1", uuid.UUID(entity))[0]["name"]
                    == "Newer", what="the newer update")
    seen = db(system, "SELECT count(*) AS n FROM inbox WHERE message_id = $1", event["id"])[0]["n"]
    assert seen == 1


def test_forged_stale_and_replayed_webhooks(system):
    url = hooks.url(system)
    before = db(system, "SELECT count(*) AS n FROM webhook_deliveries")[0]["n"]
    body = hooks.read_completed(system, str(uuid.uuid4()))
    raw, headers = hooks.signed(system, body, secret=hooks.FOREIGN_SECRET)
    assert httpx.post(url, content=raw, headers=headers).status_code == 401
    raw, headers = hooks.signed(system, body, at=datetime.now(UTC) - timedelta(minutes=6))
    assert httpx.post(url, content=raw, headers=headers).status_code == 401
    raw, headers = hooks.signed(system, body)
    tampered = raw + b" "
    assert httpx.post(url, content=tampered, headers=headers).status_code == 401
    unsigned = {k: v for k, v in headers.items() if k != hooks.SIGNATURE_HEADER[system.settings.provider]}
    assert httpx.post(url, content=raw, headers=unsigned).status_code == 401
    assert db(system, "SELECT count(*) AS n FROM webhook_deliveries")[0]["n"] == before

    first = httpx.post(url, content=raw, headers=headers)
    replays = [httpx.post(url, content=raw, headers=headers) for _ in range(3)]
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert all(r.status_code == 200 and r.json()["status"] == "duplicate" for r in replays)
    assert db(system, "SELECT count(*) AS n FROM webhook_deliveries")[0]["n"] == before + 1


def test_unknown_webhooks_are_refused_without_side_effects(system):
    before = db(system, "SELECT count(*) AS n FROM webhook_deliveries")[0]["n"]
    body, kind = hooks.unknown_kind(system)
    raw, headers = hooks.signed(system, body)
    resp = httpx.post(hooks.url(system), content=raw, headers=headers)
    assert resp.status_code == 400 and kind in resp.json()["error"]["message"]
    assert httpx.post(hooks.other_url(system), content=raw, headers=headers).status_code == 404
    raw, headers = hooks.signed(system, {"not": "an envelope"})
    assert httpx.post(hooks.url(system), content=raw, headers=headers).status_code == 400
    time.sleep(0.2)
    assert db(system, "SELECT count(*) AS n FROM webhook_deliveries")[0]["n"] == before


def test_dlq_tools_list_and_replay_dead_letters(system, partner):
    from tests.support.system import cli
    entity = str(uuid.uuid4())
    body = client.entity_data(entity, partner["partner_id"], "Replay Me GmbH")
    del body["name"]  # invalid: the consumer parks it with the reason
    client.publish(system.settings.amqp_url, client.cloud_event("entity.created", body, entity))

    def listed():
        return [json.loads(line) for line in cli(system.env, "dlq", "list", "--limit", "500").splitlines()
                if entity in line]
    [parked] = client.wait_for(listed, what="the dead letter to be listed")
    assert "name" in parked["reason"] and parked["routing_key"] == "entity.created"
    assert listed(), "listing leaves dead letters where they are"
    replayed = [json.loads(line) for line in cli(system.env, "dlq", "replay").splitlines()]
    assert any(entity in r["body"] for r in replayed)
    [again] = client.wait_for(listed, what="the replayed, still invalid event to be parked again")
    assert again["reason"] == parked["reason"]
