"""Retry policy: exponential backoff with jitter and a cap, as one pure function."""
from __future__ import annotations

import random

from services.core.topology import RETRY_DELAYS_S

MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1  # the first delivery plus one per tier


def backoff_tier(attempt: int) -> int | None:
    """Tier of the delayed-retry queue for a message that failed on ``attempt`` (1-based);
    ``None`` once every tier is used and the message must be dead-lettered."""
    return attempt - 1 if attempt < MAX_ATTEMPTS else None


def jittered_ms(tier: int, rng: random.Random | None = None) -> int:
    """Per-message expiration inside a tier: between half and all of the tier's delay."""
    delay = RETRY_DELAYS_S[tier]
    return int(delay * 1000 * (0.5 + 0.5 * (rng or random).random()))


def retry_after_tier(seconds: float) -> int:
    """The smallest tier whose delay covers a provider's Retry-After."""
    for tier, delay in enumerate(RETRY_DELAYS_S):
        if delay >= seconds:
            return tier
    return len(RETRY_DELAYS_S) - 1
