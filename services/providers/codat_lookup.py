"""Looking contacts up by name with Codat's ``query`` parameter (querying.md: ``~`` is
"contains" on strings; clauses joined with ``||``). Pure."""
from __future__ import annotations

from collections.abc import Sequence

NAME_FIELDS = {"customers": "customerName", "suppliers": "supplierName"}
_RESERVED = ("&&", "||", "{", "}", '"')
MAX_QUERY = 2048


def name_key(value: object) -> str | None:
    return " ".join(value.split()).casefold() or None if isinstance(value, str) else None


def name_query(data_type: str, names: Sequence[str]) -> str | None:
    """A query finding every record whose name contains one of ``names`` (a superset: ``named``
    keeps the equal ones); None when a name cannot be written in the query language (the whole
    dataset is listed instead)."""
    field = NAME_FIELDS[data_type]
    wanted = [n.strip() for n in names if n and n.strip()]
    if not wanted or any(token in n for n in wanted for token in _RESERVED):
        return None
    query = "||".join(f'{field}~"{n}"' for n in dict.fromkeys(wanted))
    return query if len(query) < MAX_QUERY else None


def named(records: list[dict], data_type: str, names: Sequence[str]) -> list[dict]:
    """The records whose name equals one of ``names``, case-insensitively and trimmed."""
    wanted = {name_key(n) for n in names} - {None}
    return [r for r in records if name_key(r.get(NAME_FIELDS[data_type])) in wanted]
