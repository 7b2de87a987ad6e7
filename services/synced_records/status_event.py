"""``synced_record.status_changed`` built straight from a record's row: the JSON-ready CloudEvent
``make_event`` returns for it (the contract model validated, then dumped in JSON mode), without
the model. Every write's status changes twice, and validating an event we build ourselves was a
visible share of the processor's CPU. A unit test holds the two equal; a row with anything this
does not know how to write exactly as the model would (a value the contract refuses, a naive time,
an id given as text, errors that are not plain JSON) is ``Unusual``: its caller goes through
``make_event`` as before, so a refusal still raises ``ContractViolation``."""
from __future__ import annotations

import math
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from contracts.api.common import Platform, ServiceProvider, SyncObjectType, SyncStatus
from contracts.events.outbound import LEDGERSYNC_SOURCE

TYPE = "synced_record.status_changed"
_TIMES = ("created_at", "updated_at", "last_pulled_at", "object_updated_at", "platform_updated_at",
          "provider_updated_at")
_REQUIRED_TIMES = frozenset(("created_at", "updated_at", "last_pulled_at"))
_STATUSES = frozenset(get_args(SyncStatus))
_CHOICES = {"object_type": frozenset(get_args(SyncObjectType)), "sync_status": _STATUSES,
            "platform": frozenset(get_args(Platform)) | {None},
            "provider": frozenset(get_args(ServiceProvider)) | {None}}
_ZERO = timedelta(0)


class Unusual(Exception):
    """The row has something only the model writes exactly: take the validated path."""


def built(row, previous: str | None) -> dict[str, Any]:
    """What ``make_event(TYPE, {**to_api(row), "previous_status": previous}, entity_id=…)`` returns;
    ``Unusual`` when only that can say."""
    for name, allowed in _CHOICES.items():
        if row[name] not in allowed:
            raise Unusual
    if previous is not None and previous not in _STATUSES:
        raise Unusual
    errors = row["errors"]
    if errors is not None and not (type(errors) is dict and _plain(errors)):
        raise Unusual
    for name in ("platform_object_id", "provider_object_id"):
        if row[name] is not None and type(row[name]) is not str:
            raise Unusual
    written: dict[datetime, str] = {}  # a row's times are mostly one moment: written once
    times = {}
    for name in _TIMES:
        value = row[name]
        if value is None and name not in _REQUIRED_TIMES:
            times[name] = None
        else:
            text = written.get(value) if type(value) is datetime else None
            times[name] = text or written.setdefault(value, _time(value))
    # in the contract model's field order (SyncedRecordStatusChangedData)
    data = {"id": _uuid(row["id"]), "created_at": times["created_at"], "updated_at": times["updated_at"],
            "errors": errors, "last_pulled_at": times["last_pulled_at"],
            "object_id": _uuid(row["object_id"]),
            "object_type": row["object_type"], "object_updated_at": times["object_updated_at"],
            "platform": row["platform"], "platform_object_id": row["platform_object_id"],
            "platform_updated_at": times["platform_updated_at"], "provider": row["provider"],
            "provider_object_id": row["provider_object_id"], "provider_updated_at": times["provider_updated_at"],
            "sync_status": row["sync_status"], "previous_status": previous}
    return {"specversion": "1.0", "id": new_id(), "source": LEDGERSYNC_SOURCE, "type": TYPE,
            "time": _time(datetime.now(UTC)), "entityid": _uuid(row["entity_id"]),
            "datacontenttype": "application/json", "subject": None, "data": data}


def new_id() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` gives it."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _uuid(value) -> str:
    if not isinstance(value, uuid.UUID):  # asyncpg's own UUID is one too
        raise Unusual
    return str(value)


def _time(value) -> str:
    """An aware date-time as pydantic writes it once normalised to UTC (``…Z``)."""
    if type(value) is not datetime or value.tzinfo is None:
        raise Unusual
    if value.tzinfo is UTC:  # as asyncpg and this process's clock give them
        return value.isoformat()[:-6] + "Z"
    offset = value.utcoffset()
    if offset is None:
        raise Unusual
    if offset != _ZERO:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def _plain(value) -> bool:
    """Only JSON's own types (what the model's JSON dump leaves as it is)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if kind is list:
        return all(_plain(v) for v in value)
    if kind is float:
        return math.isfinite(value)
    return value is None or kind in (str, int, bool)
