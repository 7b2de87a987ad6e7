"""Names, arguments and the retry policy of the bus (pure)."""
from __future__ import annotations

import random
from pathlib import Path

from services.core import definitions, retry, topology


def test_committed_rabbitmq_definitions_are_current():
    committed = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq-definitions.json"
    assert committed.read_text() == definitions.render(), \
        "deploy/rabbitmq-definitions.json is stale: python -m services.core.definitions > it"


def test_every_work_queue_dead_letters_at_least_once_to_its_own_dlq():
    for spec in topology.QUEUES:
        args = topology.work_queue_arguments(spec.name)
        assert args["x-queue-type"] == "quorum" and args["x-dead-letter-strategy"] == "at-least-once"
        assert args["x-overflow"] == "reject-publish"  # required by at-least-once dead-lettering
        assert args["x-dead-letter-routing-key"] == spec.name
        assert topology.dead_letter_queue(spec.name) == spec.name + ".dlq"


def test_retry_queues_return_to_the_work_queue_after_their_delay():
    args = topology.retry_queue_arguments("q", 30)
    assert args["x-message-ttl"] == 30_000 and args["x-dead-letter-exchange"] == ""
    assert args["x-dead-letter-routing-key"] == "q"


def test_backoff_walks_the_tiers_then_dead_letters():
    tiers = [retry.backoff_tier(attempt) for attempt in range(1, retry.MAX_ATTEMPTS + 1)]
    assert tiers == [*range(len(topology.RETRY_DELAYS_S)), None]


def test_jitter_stays_within_half_and_all_of_the_tier():
    rng = random.Random(7)
    for tier, delay in enumerate(topology.RETRY_DELAYS_S):
        values = [retry.jittered_ms(tier, rng) for _ in range(200)]
        assert min(values) >= delay * 500 and max(values) <= delay * 1000
        assert len(set(values)) > 50  # actually jittered


def test_retry_after_picks_a_tier_that_waits_long_enough():
    assert retry.retry_after_tier(0.5) == 0
    assert topology.RETRY_DELAYS_S[retry.retry_after_tier(7)] >= 7
    assert retry.retry_after_tier(10_000) == len(topology.RETRY_DELAYS_S) - 1
