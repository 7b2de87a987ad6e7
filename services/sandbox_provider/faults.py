"""Fault knobs (global, overridable per company) and the per-company request-rate window."""
from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, replace

RATES = ("error_rate", "timeout_rate", "drop_webhook_rate", "duplicate_webhook_rate")


class FaultsInvalid(ValueError):
    """Raised when a fault setting is of the wrong type or out of range."""


@dataclass(frozen=True)
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    rate_limit_per_minute: int | None = None   # None: no limit
    drop_webhook_rate: float = 0.0
    duplicate_webhook_rate: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)

    def merged(self, overrides: dict) -> Faults:
        return replace(self, **overrides) if overrides else self


def parse_faults(body: object) -> dict:
    """The valid settings of a PUT body, ready to merge; ``FaultsInvalid`` says what is wrong.
    ``null`` resets a knob: to its default globally, to the global value for a company."""
    if not isinstance(body, dict):
        raise FaultsInvalid("The body must be a JSON object of fault settings")
    known = Faults.__dataclass_fields__
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise FaultsInvalid(f"Unknown fault settings: {', '.join(unknown)}; "
                            f"known: {', '.join(known)}")
    parsed: dict = {}
    for name, value in body.items():
        if value is None:
            parsed[name] = None
        elif name in RATES:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise FaultsInvalid(f"{name} must be a number between 0 and 1, got {value!r}")
            parsed[name] = float(value)
        elif name == "latency_ms":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120_000:
                raise FaultsInvalid(f"latency_ms must be an integer between 0 and 120000, got {value!r}")
            parsed[name] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise FaultsInvalid(
                    f"rate_limit_per_minute must be a positive integer or null, got {value!r}")
            parsed[name] = value
    return parsed


def apply_global(current: Faults, parsed: dict) -> Faults:
    defaults = Faults()
    return replace(current, **{k: getattr(defaults, k) if v is None else v
                               for k, v in parsed.items()})


def apply_company(overrides: dict, parsed: dict) -> dict:
    merged = {**overrides, **parsed}
    return {k: v for k, v in merged.items() if v is not None}


class RateLimiter:
    """A sliding one-minute window of accepted requests per key (a company id)."""

    WINDOW_S = 60.0

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str, limit: int | None) -> int | None:
        """Record one request; ``None`` if allowed, else the seconds to wait (Retry-After)."""
        if limit is None:
            return None
        now = self._clock()
        seen = self._seen[key]
        while seen and seen[0] <= now - self.WINDOW_S:
            seen.popleft()
        if len(seen) >= limit:
            return max(1, math.ceil(seen[0] + self.WINDOW_S - now))
        seen.append(now)
        return None


class InFlight:
    """Requests being served right now per key (a company id), and the most seen at once: how
    a test or the bench sees whether callers keep to a concurrency cap."""

    def __init__(self) -> None:
        self.now: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)

    def enter(self, key: str) -> None:
        self.now[key] += 1
        self.peak[key] = max(self.peak[key], self.now[key])

    def leave(self, key: str) -> None:
        self.now[key] -= 1

    def to_json(self) -> dict:
        return {key: {"now": self.now[key], "max": self.peak[key]} for key in self.peak}
