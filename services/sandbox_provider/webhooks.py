"""Signed webhook delivery (Standard Webhooks, as Codat sends them through Svix)."""
from __future__ import annotations

import asyncio
from services.core.jsonio import json_text
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass

import aiohttp
import structlog
from standardwebhooks.webhooks import Webhook

from services.sandbox_provider.background import Background
from services.sandbox_provider.clock import now, now_iso
from services.sandbox_provider.faults import Faults
from services.sandbox_provider.state import Timing

log = structlog.get_logger(__name__)
MAX_LOG = 5000  # deliveries kept for GET /admin/webhooks


@dataclass
class Delivery:
    """What the admin API shows about one event sent (or dropped)."""
    id: str
    eventType: str
    companyId: str | None
    generatedDate: str
    status: str = "pending"   # pending | delivered | failed | dropped
    attempts: int = 0
    copies: int = 1
    lastError: str | None = None


class WebhookDeliverer:
    def __init__(self, session: aiohttp.ClientSession, target_url: str, secret: str,
                 faults_for: Callable[[str | None], Faults], rng, background: Background,
                 timing: Timing) -> None:
        self._session = session
        self._url = target_url
        self._signer = self._make_signer(secret)
        self._faults_for = faults_for
        self._rng = rng
        self._background = background
        self._timing = timing
        self.sent: deque[Delivery] = deque(maxlen=MAX_LOG)

    def _make_signer(self, secret: str):
        return Webhook(secret)

    def _envelope(self, event_type: str, payload: dict) -> tuple[str, str, dict]:
        """(delivery id, generated date, body) of one event."""
        event = {"id": str(uuid.uuid4()), "eventType": event_type, "generatedDate": now_iso(),
                 "payload": payload}
        return event["id"], event["generatedDate"], event

    def send(self, event_type: str, payload: dict, company_id: str | None) -> Delivery:
        """Build, sign and deliver one event in the background; honours drop/duplicate faults."""
        delivery_id, generated, event = self._envelope(event_type, payload)
        delivery = Delivery(id=delivery_id, eventType=event_type, companyId=company_id,
                            generatedDate=generated)
        self.sent.append(delivery)
        faults = self._faults_for(company_id)
        if faults.drop_webhook_rate and self._rng.random() < faults.drop_webhook_rate:
            delivery.status = "dropped"
            log.info("sandbox.webhook_dropped", event_type=event_type, company_id=company_id,
                     webhook_id=delivery.id)
            return delivery
        if faults.duplicate_webhook_rate and self._rng.random() < faults.duplicate_webhook_rate:
            delivery.copies = 2
        self._background.spawn(self._deliver(delivery, json_text(event)),
                               name=f"webhook:{event_type}")
        return delivery

    async def _deliver(self, delivery: Delivery, body: str) -> None:
        for copy in range(delivery.copies):
            delivered = await self._deliver_once(delivery, body)
            delivery.status = "delivered" if delivered else "failed"
            log.info("sandbox.webhook_sent" if delivered else "sandbox.webhook_failed",
                     event_type=delivery.eventType, company_id=delivery.companyId,
                     webhook_id=delivery.id, attempts=delivery.attempts, copy=copy + 1)

    def _headers(self, delivery: Delivery, body: str) -> dict[str, str]:
        sent_at = now()
        return {"content-type": "application/json", "webhook-id": delivery.id,
                "webhook-timestamp": str(int(sent_at.timestamp())),
                "webhook-signature": self._signer.sign(delivery.id, sent_at, body)}

    def _delays(self) -> tuple[float, ...]:
        return (0.0, *self._timing.webhook_backoff_s)

    async def _deliver_once(self, delivery: Delivery, body: str) -> bool:
        for delay in self._delays():
            await asyncio.sleep(delay)
            delivery.attempts += 1
            headers = self._headers(delivery, body)
            timeout = aiohttp.ClientTimeout(total=self._timing.webhook_timeout_s)
            try:
                async with self._session.post(self._url, data=body.encode(), headers=headers,
                                              timeout=timeout) as response:
                    if 200 <= response.status < 300:
                        return True
                    delivery.lastError = f"HTTP {response.status}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                delivery.lastError = f"{type(exc).__name__}: {exc}"
            log.warning("sandbox.webhook_retry", event_type=delivery.eventType,
                        webhook_id=delivery.id, attempt=delivery.attempts, error=delivery.lastError)
        return False

    def log_json(self, event_type: str | None = None, company_id: str | None = None) -> list[dict]:
        return [asdict(d) for d in self.sent
                if (event_type is None or d.eventType == event_type)
                and (company_id is None or d.companyId == company_id)]
