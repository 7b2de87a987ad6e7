"""Receiving comes first: under a burst of deliveries (``burst`` or more being received at once)
the processor behind the queue works two deliveries at a time; otherwise up to half the
database pool. Answering the provider fast is what keeps it from retrying."""
from __future__ import annotations

import asyncio
import contextlib


class Intake:
    def __init__(self, pool_size: int, burst: int = 8) -> None:
        self.receiving, self.burst = 0, burst
        self._share = asyncio.Semaphore(max(1, pool_size // 2))
        self._trickle = asyncio.Semaphore(2)

    @contextlib.contextmanager
    def receiving_one(self):
        self.receiving += 1
        try:
            yield
        finally:
            self.receiving -= 1

    @contextlib.asynccontextmanager
    async def processing_turn(self):
        async with self._share:
            if self.receiving < self.burst:
                yield
                return
            async with self._trickle:
                yield
