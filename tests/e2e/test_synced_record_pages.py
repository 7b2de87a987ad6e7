"""Keyset pagination of synced records: every record once per direction, even under inserts."""
from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.support import client, flows, syncrun


async def _insert(dsn: str, connection_id: str, count: int, object_type: str = "product") -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT entity_id, provider, platform FROM accounting_connections "
                                  "WHERE id = $1", uuid.UUID(connection_id))
        ids = [uuid.uuid4() for _ in range(count)]
        await conn.executemany(
            "INSERT INTO synced_records (id, entity_id, connection_id, object_type, object_id, sync_status, "
            "provider, platform) VALUES ($1, $2, $3, $4, $5, 'done', $6, $7)",
            [(i, row["entity_id"], uuid.UUID(connection_id), object_type, uuid.uuid4(), row["provider"],
              row["platform"]) for i in ids])
        return [str(i) for i in ids]
    finally:
        await conn.close()


def test_thousand_records_forward_then_back_while_inserting(system, access_token, new_entity):
    entity = new_entity("Pager GmbH")
    sdk = client.sdk(system.api_url, access_token, entity)
    connection = flows.connect(system, sdk, entity)
    dsn = system.settings.database_url
    original = set(syncrun.run(_insert(dsn, connection.id, 1000, "bill")))

    stop = threading.Event()
    inserted: list[str] = []

    def writer():
        while not stop.is_set():
            inserted.extend(syncrun.run(_insert(dsn, connection.id, 5, "bill")))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        forward, pages = [], [sdk.accounting.synced_records.get(object_type="bill", limit=37)]
        while True:
            forward += [r.id for r in pages[-1].data]
            if not pages[-1].next_pagination_token:
                break
            pages.append(sdk.accounting.synced_records.get(
                object_type="bill", limit=37, pagination_token=pages[-1].next_pagination_token))
        backward, page = [], pages[-1]
        backward += [r.id for r in reversed(page.data)]
        while page.prev_pagination_token:
            page = sdk.accounting.synced_records.get(object_type="bill", limit=37,
                                                     pagination_token=page.prev_pagination_token)
            backward += [r.id for r in reversed(page.data)]
    finally:
        stop.set()
        thread.join()
    assert inserted, "the writer ran during the walk"
    assert len(forward) == len(set(forward)) and original <= set(forward)
    assert len(backward) == len(set(backward)) and original <= set(backward)
    assert set(backward) <= set(forward) | set(inserted)


def test_filters_and_descending_order(system, access_token, new_entity):
    entity = new_entity("Filter AG")
    sdk = client.sdk(system.api_url, access_token, entity)
    connection = flows.connect(system, sdk, entity)
    ids = syncrun.run(_insert(system.settings.database_url, connection.id, 30, "vendor"))
    every = sdk.accounting.synced_records.get(object_type="vendor", limit=250).data
    assert {r.id for r in every} == set(ids)
    desc = sdk.accounting.synced_records.get(object_type="vendor", limit=250, order="desc", sort="created_at").data
    assert [r.id for r in desc] == [r.id for r in reversed(every)]
    pick = every[5]
    assert [r.id for r in sdk.accounting.synced_records.get(object_type="vendor", object_id=pick.object_id).data] \
        == [pick.id]
    two = sdk.accounting.synced_records.get(object_type="vendor", object_id_in=[every[1].object_id, every[2].object_id])
    assert {r.id for r in two.data} == {every[1].id, every[2].id}
    later = sdk.accounting.synced_records.get(object_type="vendor", created_at_gt=every[9].created_at, limit=250).data
    assert [r.id for r in later] == [r.id for r in every[10:]]
    upto = sdk.accounting.synced_records.get(object_type="vendor", created_at_lte=every[9].created_at, limit=250).data
    assert [r.id for r in upto] == [r.id for r in every[:10]]
    future = datetime.now(UTC) + timedelta(days=1)
    assert sdk.accounting.synced_records.get(object_type="vendor", updated_at_gte=future).data == []
    assert sdk.accounting.synced_records.get(object_type="vendor", limit=0).data == []
    # a token keeps its query: other parameters are ignored when it is given
    first = sdk.accounting.synced_records.get(object_type="vendor", limit=10, order="desc")
    second = sdk.accounting.synced_records.get(object_type="product", limit=10, order="asc",
                                               pagination_token=first.next_pagination_token)
    assert [r.id for r in second.data] == [r.id for r in desc[10:20]]
