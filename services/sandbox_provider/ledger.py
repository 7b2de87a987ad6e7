"""Records of a company's ledger: stamping, adding, replacing, removing; a dataset that indexes
the numbers a platform keeps unique."""
from __future__ import annotations

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.ids import new_id


UNIQUE_FIELDS = ("invoiceNumber", "creditNoteNumber", "code")  # a platform refuses a second one


class Dataset(dict):
    """A dataset's records by id that keeps an index of its unique fields' values, so a write's
    duplicate check costs one look-up, not a scan of every record (which made a long run
    quadratic). Records are stored and removed whole (``add_record``, ``replace_record``, ``pop``);
    a hit is checked against the record as it is now."""

    def __init__(self, records=(), /) -> None:
        super().__init__()
        self._index: dict[tuple[str, object], set[str]] = {}
        self.update(records)

    def _add(self, key: str, record) -> None:
        if isinstance(record, dict):
            for field in UNIQUE_FIELDS:
                if record.get(field):
                    self._index.setdefault((field, record[field]), set()).add(key)

    def _drop(self, key: str, record) -> None:
        if isinstance(record, dict):
            for field in UNIQUE_FIELDS:
                ids = self._index.get((field, record.get(field)))
                if ids is not None:
                    ids.discard(key)

    def __setitem__(self, key: str, record) -> None:
        self._drop(key, self.get(key))
        super().__setitem__(key, record)
        self._add(key, record)

    def __delitem__(self, key: str) -> None:
        self._drop(key, self.get(key))
        super().__delitem__(key)

    def pop(self, key: str, *default):
        self._drop(key, self.get(key))
        return super().pop(key, *default)

    def popitem(self):
        key, record = super().popitem()
        self._drop(key, record)
        return key, record

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, records=(), /, **more) -> None:
        for key, record in dict(records, **more).items():
            self[key] = record

    def clear(self) -> None:
        super().clear()
        self._index.clear()

    def __reduce__(self):  # copies and pickles rebuild the index
        return type(self), (dict(self),)

    def taken(self, field: str, value) -> bool:
        """Whether a record here has ``field`` equal to ``value``."""
        return any(self.get(key, {}).get(field) == value for key in self._index.get((field, value), ()))


def taken(dataset: dict, field: str, value) -> bool:
    """Whether a record of ``dataset`` (indexed or a plain dict) has ``field`` equal to ``value``."""
    if isinstance(dataset, Dataset) and field in UNIQUE_FIELDS:
        return dataset.taken(field, value)
    return any(r.get(field) == value for r in dataset.values())


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
    record["id"] = str(record.get("id") or new_id())
    now = now_iso()
    stamp(record, now, now)
    dataset[record["id"]] = record
    return record


def replace_record(dataset: dict[str, dict], record_id: str, record: dict) -> dict:
    now = now_iso()
    record = {**record, "id": record_id, "sourceModifiedDate": now}
    dataset[record_id] = stamp(record, now, now)
    return record
