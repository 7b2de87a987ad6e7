"""The delivery worker: leases due deliveries, POSTs them signed, and settles each attempt.

Bounded concurrency in the process and per subscription, so a slow or dead endpoint holds at
most `per_subscription` slots and never delays other partners' or endpoints' deliveries."""
from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from services.partner_webhooks import catalog, deliveries, delivery_metrics, policy, transport
from services.partner_webhooks.signing import HEADER, signature

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SenderSettings:
    timeout_s: float = 10.0
    retry_base_s: float = 10.0
    retry_cap_s: float = 3600.0
    retry_for: timedelta = timedelta(hours=24)
    concurrency: int = 32
    per_subscription: int = 4
    allow_private: bool = False
    poll_s: float = 1.0

    @classmethod
    def of(cls, s) -> "SenderSettings":
        return cls(s.partner_webhook_timeout_s, s.partner_webhook_retry_base_s,
                   s.partner_webhook_retry_cap_s, s.partner_webhook_retry_for,
                   s.partner_webhook_concurrency, s.partner_webhook_per_subscription,
                   s.partner_webhooks_allow_private)


def settle(answer: transport.Answer, attempt: int, give_up_at: datetime, now: datetime,
           cfg: SenderSettings) -> tuple[str, datetime | None]:
    """Outcome of one attempt and, when retrying, when the next one is due."""
    if answer.ok:
        return "delivered", None
    due = now + timedelta(seconds=policy.backoff_s(attempt, cfg.retry_base_s, cfg.retry_cap_s))
    return ("failed", None) if due > give_up_at else ("retrying", due)


class DeliveryWorker:
    def __init__(self, pool: asyncpg.Pool, cfg: SenderSettings) -> None:
        self.pool, self.cfg = pool, cfg
        self._wake = asyncio.Event()
        self._inflight: dict[asyncio.Task, object] = {}
        self._backlog_at = 0.0

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def run(self) -> None:
        listener = await self.pool.acquire()
        await listener.add_listener(deliveries.CHANNEL, self._on_notify)
        http = transport.session(self.cfg.allow_private, self.cfg.concurrency)
        try:
            while True:
                self._wake.clear()
                try:
                    await self._round(http)
                except (asyncpg.PostgresError, OSError, asyncio.TimeoutError) as exc:
                    log.warning("partner_webhook.claim_failed", error=str(exc))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.cfg.poll_s)
        finally:
            await self._stop_inflight()
            await http.close()
            with contextlib.suppress(Exception):
                await listener.remove_listener(deliveries.CHANNEL, self._on_notify)
            await self.pool.release(listener)

    async def _round(self, http) -> None:
        free = self.cfg.concurrency - len(self._inflight)
        if free > 0:
            lease = timedelta(seconds=self.cfg.timeout_s + 30)
            for row in await deliveries.claim(self.pool, free, self.cfg.per_subscription, lease,
                                              self.cfg.retry_for):
                task = asyncio.create_task(self.attempt(http, row))
                self._inflight[task] = row["delivery_id"]
                task.add_done_callback(self._done)
        if time.monotonic() - self._backlog_at > 5:
            self._backlog_at = time.monotonic()
            delivery_metrics.OLDEST_UNDELIVERED.set(await deliveries.oldest_undelivered_s(self.pool))

    def _done(self, task: asyncio.Task) -> None:
        self._inflight.pop(task, None)
        self._wake.set()  # a slot is free: claim more
        if not task.cancelled() and task.exception() is not None:
            log.error("partner_webhook.attempt_crashed", error=repr(task.exception()))

    async def _stop_inflight(self) -> None:
        ids = list(self._inflight.values())
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        if ids:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(deliveries.release(self.pool, ids), 5)

    async def attempt(self, http, row) -> None:
        raw = catalog.body(row, {"id": row["subscription_id"], "api_version": row["api_version"]})
        started_at = datetime.now(UTC)
        headers = {HEADER: signature(row["secret"], int(time.time()), raw)}
        answer = await transport.post(http, row["url"], raw, headers, self.cfg.timeout_s,
                                      self.cfg.allow_private)
        attempt = row["requests_made_count"] + 1
        outcome, due = settle(answer, attempt, row["give_up_at"], datetime.now(UTC), self.cfg)
        await deliveries.record(self.pool, row, started_at=started_at,
                                duration_ms=round(answer.seconds * 1000), status_code=answer.status,
                                response=answer.text, outcome=outcome, next_attempt_at=due)
        delivery_metrics.DELIVERIES.labels(outcome).inc()
        delivery_metrics.ATTEMPT_SECONDS.labels(outcome).observe(answer.seconds)
        (log.info if outcome == "delivered" else log.warning)(
            "partner_webhook.attempt", outcome=outcome, delivery_id=str(row["delivery_id"]),
            subscription_id=str(row["subscription_id"]), event_id=str(row["id"]),
            entity_id=str(row["entity_id"]), action=row["action"], attempt=attempt,
            status_code=answer.status, ms=round(answer.seconds * 1000, 1),
            host=transport.host_of(row["url"]), error=None if answer.ok else answer.text[:200],
            next_attempt_at=due.isoformat() if due else None)
