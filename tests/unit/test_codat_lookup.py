"""The Codat query of the look-up before a create, and the exact comparison after it."""
from __future__ import annotations

import pytest

from services.providers.codat_lookup import name_query, named


@pytest.mark.parametrize("data_type, names, query", [
    ("customers", ["Split"], 'customerName~"Split"'),
    ("suppliers", [" Split ", "Split (vendor)", "Split"], 'supplierName~"Split"||supplierName~"Split (vendor)"'),
    ("customers", ["A && B"], None),          # cannot be written in the query language: list instead
    ("customers", ['Say "hi"'], None),
    ("customers", ["{Braces}"], None),
    ("customers", ["x" * 2100], None),         # over Codat's 2048 characters
    ("customers", ["", "  "], None),
])
def test_name_query(data_type, names, query):
    assert name_query(data_type, names) == query


def test_named_keeps_equal_names_only():
    records = [{"id": "1", "customerName": "Split"}, {"id": "2", "customerName": " split  "},
               {"id": "3", "customerName": "Splitter"}, {"id": "4", "customerName": None}, {"id": "5"}]
    assert [r["id"] for r in named(records, "customers", ["SPLIT"])] == ["1", "2"]
    assert named(records, "customers", []) == []
