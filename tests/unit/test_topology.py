"""Names, arguments and the retry policy of the bus (pure)."""
from __future__ import annotations

import random
import re
from pathlib import Path

from contracts.commands import COMMANDS
from contracts.events import DOMAIN_EVENT_TYPES
from services.core import definitions, retry, topology
from services.push_worker.handlers import command_handlers, event_handlers


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


def test_domain_event_types_topology_families_and_handler_table_agree():
    types = set(DOMAIN_EVENT_TYPES)
    assert set(event_handlers(pool=None, adapter=None)) == types, \
        "every domain event type has exactly one handler, and no handler is extra"
    assert {t.split(".", 1)[0] for t in types} == set(topology.DOMAIN_FAMILIES), \
        "the push-worker's queue binds exactly the families of the domain event types"
    patterns = [re.compile(re.escape(key).replace(r"\*", r"[^.]+") + "$") for exchange, key in topology.PUSH_WORKER.bindings
                if exchange == topology.DOMAIN_EXCHANGE]
    unbound = sorted(t for t in types if not any(p.match(t) for p in patterns))
    assert unbound == [], f"domain events no binding of {topology.PUSH_WORKER.name} routes: {unbound}"


def test_every_command_has_a_handler_and_every_handler_a_command():
    assert set(command_handlers(pool=None, adapter=None)) == set(COMMANDS)
