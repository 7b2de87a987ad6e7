"""The synced-records page is written straight from the rows: byte for byte what the
``SyncRecordList`` contract model writes for the same values."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from asyncpg.pgproto.pgproto import UUID as PgUUID

from contracts.api import SyncRecordList
from services.api.synced_records import _FIELDS, list_body

AT = datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=UTC)


def _row(**changes) -> dict:
    row = {"id": uuid.uuid4(), "created_at": AT, "updated_at": AT + timedelta(seconds=1), "errors": None,
           "last_pulled_at": AT.replace(microsecond=0), "object_id": uuid.uuid4(), "object_type": "receivable",
           "object_updated_at": None, "platform": "xero", "platform_object_id": "inv-1",
           "platform_updated_at": None, "provider": "codat", "provider_object_id": "inv-1",
           "provider_updated_at": AT}
    return {**row, **changes}


ROWS = [
    _row(),
    _row(errors={"errors": [{"code": "tax_rate_not_found", "message": "No 19.00% rate in «Xero»", "hint": None}]},
         sync_status="error", object_id=None, platform=None, provider=None, provider_object_id=None,
         platform_object_id=None, provider_updated_at=None, object_type="customer"),
    _row(created_at=datetime(2026, 1, 1, tzinfo=timezone.utc), sync_status="pending"),
    _row(id=PgUUID(str(uuid.uuid4())), object_id=PgUUID(str(uuid.uuid4()))),  # as asyncpg gives them
]


def test_the_page_is_what_the_contract_model_writes():
    rows = [{"sync_status": "done", **r} for r in ROWS]
    columns = [(*(r[k] for k in _FIELDS), False) for r in rows]  # as read: the columns, then token_revoked
    for tokens in ((None, None), ("next.tok", None), ("next.tok", "prev.tok")):
        expected = SyncRecordList(data=rows, next_pagination_token=tokens[0],
                                  prev_pagination_token=tokens[1]).model_dump_json().encode()
        assert list_body(columns, *tokens) == expected


def test_an_empty_page():
    assert list_body([], None, None) == SyncRecordList(data=[]).model_dump_json().encode()
