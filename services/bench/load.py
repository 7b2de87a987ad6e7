"""An HTTP load generator for the benches: prepared requests, a fixed number in flight, the
latency of each, and the answers' statuses."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from services.bench.isolation import BenchError
from services.bench.measure import percentile


@dataclass
class Request:
    method: str
    url: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None


async def load(requests: list[Request], concurrency: int) -> dict:
    """Send every request, ``concurrency`` at a time; requests/s, latency percentiles, statuses."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def worker() -> None:
            for request in queue:
                started = time.perf_counter()
                async with http.request(request.method, request.url, headers=request.headers,
                                        data=request.body) as response:
                    await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status] += 1
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(requests), "seconds": round(seconds, 3),
            "requests_per_s": round(len(requests) / seconds, 1),
            "p50_ms": round(percentile(latencies, 0.5), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
            "max_ms": round(latencies[-1], 1), "statuses": dict(statuses)}


async def wait_listening(port: int, timeout: float = 60.0) -> None:
    """Until something answers HTTP on the port (any status)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/"):
                    return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                if time.monotonic() > deadline:
                    raise BenchError(f"nothing answered on port {port} within {timeout:.0f}s") from None
                await asyncio.sleep(0.1)


def compare(service: dict, floor: dict) -> dict:
    return {"throughput_vs_floor": round(service["requests_per_s"] / floor["requests_per_s"], 2),
            "p99_vs_floor": round(service["p99_ms"] / floor["p99_ms"], 2) if floor["p99_ms"] else None}
