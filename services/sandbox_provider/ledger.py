"""Records of a company's ledger: stamping, adding, replacing, removing."""
from __future__ import annotations

import uuid

from services.sandbox_provider.clock import now_iso


def stamp(record: dict, modified: str | None = None, source_modified: str | None = None) -> dict:
    """Give a record the fields every Codat read schema carries."""
    modified = modified or now_iso()
    record["modifiedDate"] = modified
    record["sourceModifiedDate"] = source_modified or record.get("sourceModifiedDate") or modified
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    record["metadata"] = {"isDeleted": bool(metadata.get("isDeleted", False))}
    if not isinstance(record.get("supplementalData"), dict):
        record["supplementalData"] = {"content": {}}
    return record


def add_record(dataset: dict[str, dict], record: dict) -> dict:
    record = dict(record)
    record["id"] = str(record.get("id") or uuid.uuid4())
    now = now_iso()
    stamp(record, now, now)
    dataset[record["id"]] = record
    return record


def replace_record(dataset: dict[str, dict], record_id: str, record: dict) -> dict:
    now = now_iso()
    record = {**record, "id": record_id, "sourceModifiedDate": now}
    dataset[record_id] = stamp(record, now, now)
    return record
