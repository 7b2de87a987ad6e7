"""Retry policy: exponential backoff with jitter and a cap, as one pure function (``backoff_s``),
used by the consumer (the jitter inside a retry tier), the pull pager and the outbox relay."""
from __future__ import annotations

import random

from services.core.topology import RETRY_DELAYS_S

MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1  # the first delivery plus one per tier


def backoff_s(attempt: int, *, base_s: float, cap_s: float, jitter: float = 0.0,
              retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): ``base_s`` doubled per attempt, or
    the other side's ``retry_after`` when it gave one, at most ``cap_s``; ``jitter`` (0..1)
    takes up to that fraction of it off at random."""
    delay = min(retry_after if retry_after else base_s * 2 ** (attempt - 1), cap_s)
    return delay * (1 - jitter * (rng or random).random()) if jitter else delay


def backoff_tier(attempt: int) -> int | None:
    """Tier of the delayed-retry queue for a message that failed on ``attempt`` (1-based);
    ``None`` once every tier is used and the message must be dead-lettered."""
    return attempt - 1 if attempt < MAX_ATTEMPTS else None


def retry_tier(attempt: int, retry_after: float | None = None) -> int | None:
    """The delayed-retry tier after failed ``attempt``, at least as long as the other side's
    Retry-After; ``None`` once the tiers are used up (dead-letter)."""
    tier = backoff_tier(attempt)
    return tier if tier is None or not retry_after else max(tier, retry_after_tier(retry_after))


def jittered_ms(tier: int, rng: random.Random | None = None) -> int:
    """Per-message expiration inside a tier: between half and all of the tier's delay."""
    delay = RETRY_DELAYS_S[tier]
    return int(1000 * backoff_s(1, base_s=delay, cap_s=delay, jitter=0.5, rng=rng))


def retry_after_tier(seconds: float) -> int:
    """The smallest tier whose delay covers a provider's Retry-After."""
    for tier, delay in enumerate(RETRY_DELAYS_S):
        if delay >= seconds:
            return tier
    return len(RETRY_DELAYS_S) - 1

