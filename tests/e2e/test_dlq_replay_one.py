"""`ledgersync dlq replay --key K` sends back only that dead letter; the others stay parked."""
from __future__ import annotations

import json
import uuid

from tests.support import client
from tests.support.system import cli, db


def _parked(system, *needles: str) -> dict[str, dict]:
    found = [json.loads(line) for line in cli(system.env, "dlq", "list", "--limit", "1000").splitlines()]
    return {n: item for item in found for n in needles if n in item["body"]}


def test_replaying_one_dead_letter_by_its_key_leaves_the_others(system, partner):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())  # entities nobody created yet: parked
    counterparts = {e: str(uuid.uuid4()) for e in (first, second)}
    for entity, counterpart in counterparts.items():
        client.publish(system.settings.amqp_url, client.cloud_event("counterpart.created", {
            "id": counterpart, "type": "organization", "name": "Früh", "is_customer": True,
            "is_vendor": False, "updated_at": "2026-12-01T10:00:00Z"}, entity))
    parked = client.wait_for(lambda: len(p := _parked(system, first, second)) == 2 and p,
                             what="both dead letters to be listed")
    assert parked[first]["key"] != parked[second]["key"] and "unknown entity" in parked[first]["reason"]
    client.publish(system.settings.amqp_url, client.cloud_event(  # the cause of the first, fixed
        "entity.created", client.entity_data(first, partner["partner_id"], "Früh GmbH"), first))
    client.wait_for(lambda: db(system, "SELECT 1 FROM entities WHERE id = $1", uuid.UUID(first)),
                    what="the entity to exist")
    replayed = [json.loads(line) for line in
                cli(system.env, "dlq", "replay", "--key", parked[first]["key"]).splitlines()]
    assert [r["key"] for r in replayed] == [parked[first]["key"]]
    client.wait_for(lambda: db(system, "SELECT 1 FROM counterparts WHERE id = $1", uuid.UUID(counterparts[first])),
                    what="the replayed counterpart to be mirrored")
    left = _parked(system, first, second)
    assert set(left) == {second} and left[second]["key"] == parked[second]["key"]
