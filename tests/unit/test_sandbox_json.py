"""The sandbox reads request bodies through orjson, to the same values and errors as json.loads."""
from __future__ import annotations

import json

import pytest

from services.sandbox_provider.errors import loads

CASES = ['{"a":1,"a":2}', "1e400", '{"x":-1e400}', "NaN", '"\\ud800"', "\ufeff{}", " {}\n", "0.1",
         "[1.0000000000000002]", '{"a":12345678901234567890123}', '{"a":-12345678901234567890}',
         "18446744073709551615", "-9223372036854775808", '{"n":1234567890123456789.5}',
         '{"a":"\u0663\u0663\u0663\u0663\u0663\u0663\u0663\u0663\u0663\u0663\u0663\u0663\u0663\u0663'
         '\u0663\u0663\u0663\u0663\u0663"}', '{"a": 1} x', "", '{"a": "\\u0000"}', "[" * 2000 + "]" * 2000]


def outcome(read, text):
    try:
        return "value", repr(read(text))
    except RecursionError:
        return "too deep", None
    except ValueError:
        return "ValueError", None


@pytest.mark.parametrize("text", CASES)
def test_the_same_value_or_error_as_the_standard_library(text):
    assert outcome(loads, text) == outcome(json.loads, text)
