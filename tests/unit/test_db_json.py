"""json/jsonb parameters and values go through orjson, exactly as the standard library would
have them: integers beyond 64 bits (which orjson refuses to write and reads as floats) keep
every digit, non-string keys become strings, and text keeps every character."""
from __future__ import annotations

import json

import pytest

from services.core.jsonio import json_bytes, json_text, json_value


@pytest.mark.parametrize("value", [
    {"amount": 1999, "lines": [{"rate": 19.5, "name": "Beratung"}], "note": None, "ok": True},
    {"huge": 10**30, "negative": -(2**63), "edge": 2**64},
    {"text": "Bäckerei \u00fc \u2603 \"quoted\" \\ \n", "digits": "1234567890123456789012"},
    [], {},
])
def test_a_value_comes_back_as_it_went_in(value):
    assert json_value(json_text(value)) == value
    assert json.loads(json_text(value)) == value  # what the standard library reads too


def test_non_string_keys_are_written_as_strings_as_the_standard_library_does():
    assert json_value(json_text({1: "a", 2: "b"})) == json.loads(json.dumps({1: "a", 2: "b"})) == {"1": "a", "2": "b"}


def test_a_big_integer_read_from_the_database_keeps_its_digits():
    assert json_value('{"n": 123456789012345678901234567890}')["n"] == 123456789012345678901234567890


def test_keys_sorted_when_asked_and_big_integers_written_exactly():
    assert json_bytes({"b": 1, "a": [2**70]}, sort_keys=True) == b'{"a":[1180591620717411303424],"b":1}'
    assert json_value(b'{"n": 12345678901234567890123}') == {"n": 12345678901234567890123}
