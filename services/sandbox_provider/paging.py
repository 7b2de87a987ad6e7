"""Codat paging: ``page``/``pageSize``/``query``/``orderBy`` in, the paged wrapper out."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from services.sandbox_provider.errors import bad_request, validation_item
from services.sandbox_provider.query import QueryError, compile_query

MAX_REQUEST_PAGE_SIZE = 5000
MAX_REPORTED_PAGE_SIZE = 2000  # PagingInfo.pageSize has maximum 2000 in the spec


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    page_size: int = 100
    query: str | None = None
    order_by: str | None = None

    def href(self, path: str, page: int) -> str:
        params = {"page": page, "pageSize": self.page_size}
        if self.query:
            params["query"] = self.query
        if self.order_by:
            params["orderBy"] = self.order_by
        return f"{path}?{urlencode(params)}"


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        message = f"{name} must be an integer between {low} and {high}"
        raise bad_request(message, [validation_item(name, message, "Range")])
    return value


def page_request(params: Mapping[str, str]) -> PageRequest:
    size = _int(params, "pageSize", 100, 1, MAX_REQUEST_PAGE_SIZE)
    return PageRequest(page=_int(params, "page", 1, 1, 2**31 - 1),
                       page_size=min(size, MAX_REPORTED_PAGE_SIZE),
                       query=params.get("query") or None, order_by=params.get("orderBy") or None)


def filtered(records: Iterable[dict], query: str | None, name: str = "query") -> list[dict]:
    records = list(records)
    if not query:
        return records
    try:
        predicate = compile_query(query)
        return [r for r in records if predicate(r)]
    except QueryError as exc:
        raise bad_request(f"Malformed query: {exc}",
                          [validation_item(name, str(exc), "QueryValidator")]) from None


def _value(record: dict, field: str):
    value = record
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value).casefold())


def ordered(records: list[dict], order_by: str | None) -> list[dict]:
    """Sorted by each field of ``orderBy`` (``-`` descending); missing values always last."""
    for field in reversed([f.strip() for f in (order_by or "").split(",") if f.strip()]):
        name = field.lstrip("-+")
        present = [r for r in records if _value(r, name) is not None]
        missing = [r for r in records if _value(r, name) is None]
        records = sorted(present, key=lambda r: _value(r, name),
                         reverse=field.startswith("-")) + missing
    return records


def paged(records: Iterable[dict], request: PageRequest, path: str) -> dict:
    """The wrapper every Codat list answers with, after filtering, ordering and slicing."""
    matching = ordered(filtered(records, request.query), request.order_by)
    start = (request.page - 1) * request.page_size
    links = {"self": {"href": path}, "current": {"href": request.href(path, request.page)}}
    if start + request.page_size < len(matching):
        links["next"] = {"href": request.href(path, request.page + 1)}
    if request.page > 1:
        links["previous"] = {"href": request.href(path, request.page - 1)}
    return {"results": matching[start:start + request.page_size], "pageNumber": request.page,
            "pageSize": request.page_size, "totalResults": len(matching), "_links": links}
