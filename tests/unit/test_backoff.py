"""The one backoff policy, as the consumer, the pull pager and the outbox relay call it."""
from __future__ import annotations

import random

import pytest

from services.core.retry import backoff_s


@pytest.mark.parametrize(("attempt", "base", "cap", "retry_after", "expected"), [
    (1, 1.0, 10.0, None, 1.0), (2, 1.0, 10.0, None, 2.0), (5, 1.0, 10.0, None, 10.0),  # pull pages
    (1, 1.0, 300.0, None, 1.0), (9, 1.0, 300.0, None, 256.0), (10, 1.0, 300.0, None, 300.0),  # outbox
    (1, 1.0, 10.0, 7.0, 7.0), (3, 1.0, 10.0, 30.0, 10.0),  # the other side's Retry-After, capped
    (2, 5.0, 60.0, 0.0, 10.0),  # a zero Retry-After is no Retry-After
])
def test_backoff_doubles_from_the_base_up_to_the_cap(attempt, base, cap, retry_after, expected):
    assert backoff_s(attempt, base_s=base, cap_s=cap, retry_after=retry_after) == expected


def test_jitter_takes_off_at_most_its_fraction():
    rng = random.Random(3)
    values = [backoff_s(3, base_s=1.0, cap_s=60.0, jitter=0.5, rng=rng) for _ in range(200)]
    assert min(values) >= 2.0 and max(values) <= 4.0 and len(set(values)) > 100
