"""synced_record.status_changed built from the row is what make_event (the contract model,
validated and dumped in JSON mode) returns for it; what only the model can write is left to it."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from asyncpg.pgproto.pgproto import UUID as PgUUID
from pydantic import TypeAdapter

from contracts.events.parsing import make_event
from services.synced_records import status_event
from services.synced_records.repo import COLUMNS, to_api

NOW = datetime(2026, 12, 2, 13, 2, 16, 557054, tzinfo=UTC)


def _row(**fields) -> dict:
    row = {c: None for c in COLUMNS}
    row.update(id=uuid.uuid4(), entity_id=uuid.uuid4(), connection_id=uuid.uuid4(), object_type="receivable",
               object_id=uuid.uuid4(), provider="codat", platform="xero", sync_status="pending",
               last_pulled_at=NOW, created_at=NOW, updated_at=NOW, push_generation=0)
    row.update(fields)
    return row


def _validated(row, previous) -> dict:
    return make_event(status_event.TYPE, {**to_api(row), "previous_status": previous},
                      entity_id=str(row["entity_id"]))


ROWS = [
    (_row(), None),
    (_row(sync_status="done", platform_object_id="inv-1", provider_object_id="inv-1",
          platform_updated_at=NOW.replace(microsecond=0), provider_updated_at=NOW), "pending"),
    (_row(sync_status="error", errors={"problems": [{"code": "tax_rate_not_found", "message": "No 19%",
                                                       "hint": None, "n": 1, "share": 0.5, "ok": True}]},
          object_updated_at=NOW.astimezone(timezone(timedelta(hours=2)))), "pending"),
    (_row(platform=None, provider=None, last_pulled_at=NOW - timedelta(days=3)), "error"),
    (_row(object_type="payment_record", platform="quickbooks_online", provider="railz"), "done"),
    # as rows come from asyncpg (its own UUID type) and times from a parsed event (pydantic's UTC)
    (_row(id=PgUUID(str(uuid.uuid4())), entity_id=PgUUID(str(uuid.uuid4())), object_id=PgUUID(str(uuid.uuid4())),
          object_updated_at=TypeAdapter(datetime).validate_python("2026-12-01T10:00:00.5Z")), None),
]


@pytest.mark.parametrize(("row", "previous"), ROWS)
def test_the_event_built_from_the_row_is_the_validated_one(row, previous):
    built = status_event.built(row, previous)  # not Unusual: the rows the pipeline makes are built
    expected = _validated(row, previous)
    uuid.UUID(built["id"], version=4)
    assert datetime.fromisoformat(built["time"]) - datetime.now(UTC) < timedelta(seconds=5)
    assert {**built, "id": "x", "time": "t"} == {**expected, "id": "x", "time": "t"}
    assert list(built["data"]) == list(expected["data"]) and list(built) == list(expected)
    assert built["time"].endswith("Z") and len(built["time"]) == len(expected["time"])


@pytest.mark.parametrize("change", [
    {"sync_status": "later"}, {"object_type": "invoice"}, {"platform": "sage"},
    {"created_at": NOW.replace(tzinfo=None)}, {"updated_at": None}, {"id": "not-a-uuid"},
    {"object_id": str(uuid.uuid4())}, {"object_id": None}, {"errors": ["a list"]}, {"errors": {"at": NOW}},
    {"errors": {"x": float("nan")}}, {"platform_object_id": 12},
])
def test_what_only_the_model_can_write_is_left_to_it(change):
    with pytest.raises(status_event.Unusual):
        status_event.built(_row(**change), None)


def test_an_unknown_previous_status_is_left_to_the_model():
    with pytest.raises(status_event.Unusual):
        status_event.built(_row(), "gone")


def test_new_ids_are_version_4_uuids_as_text():
    ids = {status_event.new_id() for _ in range(1000)}
    assert len(ids) == 1000
    for one in ids:
        assert str(uuid.UUID(one)) == one and uuid.UUID(one).version == 4 and uuid.UUID(one).variant == uuid.RFC_4122
