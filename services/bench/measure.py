"""Timing one bench run: publish and completion time per event, and the summary both benches report."""
from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import Callable, Iterable

import aio_pika
from aio_pika.abc import AbstractExchange

from services.bench.isolation import BenchError

PUBLISH_WINDOW = 256  # publishes awaiting their confirm at once


def timeout_for(events: int) -> float:
    return 60.0 + 0.05 * events


def percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def cpu_s() -> float:
    """CPU seconds this process used so far (user + system): robust on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


class Tracker:
    """Publish time and first terminal outcome (done or error) per object id, and the probes
    (CPU seconds, SQL round trips: name → reading) read at the first publish and the last outcome."""

    def __init__(self, ids: Iterable[str], probes: dict[str, Callable[[], float]] | None = None) -> None:
        self.pending = set(ids)
        self.events = len(self.pending)
        self.published: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.errors: dict[str, object] = {}
        self._all = asyncio.Event()
        self.probes = probes or {"cpu": cpu_s}
        self.start: dict[str, float] = {}
        self.end: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        return {name: probe() for name, probe in self.probes.items()}

    def sent(self, object_id: str) -> None:
        if not self.published:
            self.start = self._read()
        self.published[object_id] = time.perf_counter()

    def finish(self, object_id: str, error: object = None) -> None:
        if object_id not in self.pending:
            return  # not ours, or already finished (a later change of the same record)
        self.finished[object_id] = time.perf_counter()
        self.pending.discard(object_id)
        if error is not None:
            self.errors[object_id] = error
        if not self.pending:
            self.end = self._read()
            self._all.set()

    def per_event(self) -> dict[str, float]:
        """cpu_ms_per_event and, when counted, queries_per_event (all processes measured)."""
        if not self.end:
            return {}
        spent = {k: self.end[k] - self.start[k] for k in self.end}
        out = {"cpu_ms_per_event": round(spent["cpu"] * 1000 / self.events, 2)}
        if "queries" in spent:
            out["queries_per_event"] = round(spent["queries"] / self.events, 1)
        return out

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._all.wait(), timeout)
        except TimeoutError:
            sample = ", ".join(sorted(self.pending)[:3])
            raise BenchError(f"{len(self.pending)} of {self.events} events were not done after "
                             f"{timeout:.0f}s (e.g. {sample})") from None

    def summary(self, **extra: object) -> dict:
        done = sorted((self.finished[i] - self.published[i]) * 1000 for i in self.finished
                      if i not in self.errors)
        seconds = max(self.finished.values()) - min(self.published.values())
        result = {"events": self.events, "seconds": round(seconds, 3),
                  "events_per_s": round(self.events / seconds, 1) if seconds > 0 else 0.0,
                  "p50_ms": round(percentile(done, 0.50), 1), "p90_ms": round(percentile(done, 0.90), 1),
                  "p99_ms": round(percentile(done, 0.99), 1), "max_ms": round(done[-1] if done else 0.0, 1),
                  "min_ms": round(done[0] if done else 0.0, 1), "errors": len(self.errors),
                  **self.per_event(), "peak_rss_mb": peak_rss_mb(), **extra}
        if self.errors:
            result["error_sample"] = next(iter(self.errors.values()))
        return result


async def publish_all(exchange: AbstractExchange, messages: list[tuple[str, str, dict]],
                      tracker: Tracker, window: int = PUBLISH_WINDOW, rate: float | None = None) -> float:
    """Publish (object id, routing key, body) persistent messages as fast as the broker confirms
    them, ``window`` unconfirmed at most, or at a steady ``rate`` per second; each object's clock
    starts as its message is sent. Returns the seconds publishing took."""
    gate = asyncio.Semaphore(window)
    bodies = [(oid, key, json.dumps(body).encode()) for oid, key, body in messages]  # not timed
    started = time.perf_counter()

    async def one(i: int, object_id: str, key: str, body: bytes) -> None:
        if rate:
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        async with gate:
            tracker.sent(object_id)
            await exchange.publish(aio_pika.Message(body, content_type="application/json",
                                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                   routing_key=key)

    await asyncio.gather(*(one(i, *m) for i, m in enumerate(bodies)))
    return round(time.perf_counter() - started, 3)
