"""Sandbox provider: the query language and paging, as pure functions (table of cases)."""
from __future__ import annotations

import pytest

from services.sandbox_provider.errors import CodatError
from services.sandbox_provider.paging import PageRequest, ordered, page_request, paged
from services.sandbox_provider.query import QueryError, compile_query

RECORD = {"name": "Blue Harbor Ltd", "status": "Active", "amount": 19.99, "isBank": False,
          "modifiedDate": "2026-11-20T10:00:00Z", "ref": {"id": "61"},
          "addresses": [{"city": "London"}, {"city": "Leeds"}]}


@pytest.mark.parametrize("query, expected", [
    ("name=Blue Harbor Ltd", True), ("name=blue harbor ltd", True), ("name!=Blue Harbor Ltd", False),
    ("name~harbor", True), ("name~sea", False), ("amount>19", True), ("amount<=19.99", True),
    ("amount>=20", False), ("isBank=false", True), ("ref.id=61", True), ("ref.id=62", False),
    ("modifiedDate>2026-11-01", True), ("modifiedDate<2026-11-20T09:00:00Z", False),
    ("addresses.city=Leeds", True), ("addresses.city!=Paris", True), ("missing=1", False),
    ("missing!=1", True), ("status=Active&&amount>100", False), ("status=Archived||amount>1", True),
    ("{status=Archived||amount>1}&&name~blue", True), ("name='Blue Harbor Ltd'", True),
])
def test_query_clauses(query, expected):
    assert compile_query(query)(RECORD) is expected


@pytest.mark.parametrize("query", ["", "&&", "name", "{name=1", "name=1}", "amount>abc"])
def test_malformed_queries(query):
    with pytest.raises(QueryError):
        compile_query(query)({"amount": 1})


def test_page_request_defaults_and_limits():
    assert page_request({}) == PageRequest(1, 100, None, None)
    assert page_request({"pageSize": "5000"}).page_size == 2000
    for bad in ({"page": "0"}, {"pageSize": "5001"}, {"pageSize": "x"}):
        with pytest.raises(CodatError) as raised:
            page_request(bad)
        assert raised.value.status == 400


def test_ordering_and_links():
    records = [{"n": name, "v": value} for name, value in (("b", 2), ("a", 3), ("c", 1), ("d", None))]
    assert [r["n"] for r in ordered(records, "n")] == ["a", "b", "c", "d"]
    assert [r["n"] for r in ordered(records, "-v")] == ["a", "b", "c", "d"]
    assert [r["n"] for r in ordered(records, "v")] == ["c", "b", "a", "d"]
    page = paged(records, PageRequest(2, 1, "v>1", "v"), "/x")
    assert page["totalResults"] == 2 and [r["n"] for r in page["results"]] == ["a"]
    assert page["_links"] == {"self": {"href": "/x"},
                              "current": {"href": "/x?page=2&pageSize=1&query=v%3E1&orderBy=v"},
                              "previous": {"href": "/x?page=1&pageSize=1&query=v%3E1&orderBy=v"}}
