from decimal import Decimal

import pytest

from services.sync.money import percent_to_minor, to_major, to_minor


@pytest.mark.parametrize("amount, currency, minor", [
    (119.0, "EUR", 11900), (19.99, "EUR", 1999), ("0.1", "USD", 10), (0.005, "EUR", 1),
    (1234, "JPY", 1234), (1.2345, "KWD", 1235), (None, "EUR", None), (0.1 + 0.2, "EUR", 30),
])
def test_to_minor(amount, currency, minor):
    assert to_minor(amount, currency) == minor


def test_round_trip_is_exact_for_every_cent():
    for minor in range(0, 100_001, 7):
        assert to_minor(to_major(minor, "EUR"), "EUR") == minor
    assert to_major(1999, "EUR") == Decimal("19.99") and to_major(5, "JPY") == Decimal("5")


@pytest.mark.parametrize("rate, minor", [(19.0, 1900), (7, 700), (12.5, 1250), (0, 0), (None, None)])
def test_percent_to_minor(rate, minor):
    assert percent_to_minor(rate) == minor
