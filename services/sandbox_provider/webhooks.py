"""Signed webhook delivery (Standard Webhooks, as Codat sends them through Svix)."""
from __future__ import annotations

import asyncio
import base64
import hmac
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass

import aiohttp
import structlog
from standardwebhooks.webhooks import Webhook

from services.core.jsonio import json_bytes
from services.sandbox_provider.background import Background
from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.faults import Faults
from services.sandbox_provider.http_post import Poster
from services.sandbox_provider.ids import new_id
from services.sandbox_provider.state import Timing
from services.core.logging import info_on

log = structlog.get_logger(__name__)
_info_on = info_on(__name__)  # INFO lines' fields gathered only when written
MAX_LOG = 5000  # deliveries kept for GET /admin/webhooks
SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (``whsec_`` + base64); refused as the
    standardwebhooks library refuses it (an empty secret, say)."""
    Webhook(secret)
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==")


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, as ``Webhook.sign`` writes it."""
    digest = hmac.digest(key, b"%s.%d.%s" % (msg_id.encode(), timestamp, body), "sha256")
    return "v1," + base64.b64encode(digest).decode()


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
        self._poster = Poster(session, target_url)
        self._signer = self._make_signer(secret)
        self._faults_for = faults_for
        self._rng = rng
        self._background = background
        self._timing = timing
        self.sent: deque[Delivery] = deque(maxlen=MAX_LOG)
        self._timeout = aiohttp.ClientTimeout(total=timing.webhook_timeout_s)

    def _make_signer(self, secret: str):
        return signing_key(secret)

    def _envelope(self, event_type: str, payload: dict) -> tuple[str, str, dict]:
        """(delivery id, generated date, body) of one event."""
        event = {"id": new_id(), "eventType": event_type, "generatedDate": now_iso(),
                 "payload": payload}
        return event["id"], event["generatedDate"], event

    def send(self, event_type: str, payload: dict, company_id: str | None) -> Delivery:
        """Build, sign and deliver one event in the background; honours drop/duplicate faults."""
        delivery, job = self.prepare(event_type, payload, company_id)
        if job is not None:
            self._background.spawn(job, name=f"webhook:{event_type}")
        return delivery

    def prepare(self, event_type: str, payload: dict,
                company_id: str | None) -> tuple[Delivery, Coroutine | None]:
        """What ``send`` does, but the delivery is handed back for the caller to await (a
        background task already: one task less); None when the event is dropped."""
        delivery_id, generated, event = self._envelope(event_type, payload)
        delivery = Delivery(id=delivery_id, eventType=event_type, companyId=company_id,
                            generatedDate=generated)
        self.sent.append(delivery)
        faults = self._faults_for(company_id)
        if faults.drop_webhook_rate and self._rng.random() < faults.drop_webhook_rate:
            delivery.status = "dropped"
            log.info("sandbox.webhook_dropped", event_type=event_type, company_id=company_id,
                     webhook_id=delivery.id)
            return delivery, None
        if faults.duplicate_webhook_rate and self._rng.random() < faults.duplicate_webhook_rate:
            delivery.copies = 2
        return delivery, self._deliver(delivery, json_bytes(event))

    async def _deliver(self, delivery: Delivery, body: bytes) -> None:
        for copy in range(delivery.copies):
            delivered = await self._deliver_once(delivery, body)
            delivery.status = "delivered" if delivered else "failed"
            if _info_on():  # below the level, no fields gathered
                log.info("sandbox.webhook_sent" if delivered else "sandbox.webhook_failed",
                         event_type=delivery.eventType, company_id=delivery.companyId,
                         webhook_id=delivery.id, attempts=delivery.attempts, copy=copy + 1)

    def _headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        sent_at = int(time.time())
        return {"content-type": "application/json", "webhook-id": delivery.id,
                "webhook-timestamp": str(sent_at),
                "webhook-signature": sign(self._signer, delivery.id, sent_at, body)}

    def _client_timeout(self) -> aiohttp.ClientTimeout:
        if self._timeout.total != self._timing.webhook_timeout_s:  # a test changed it
            self._timeout = aiohttp.ClientTimeout(total=self._timing.webhook_timeout_s)
        return self._timeout

    def _delays(self) -> tuple[float, ...]:
        return (0.0, *self._timing.webhook_backoff_s)

    async def _deliver_once(self, delivery: Delivery, body: bytes) -> bool:
        for delay in self._delays():
            if delay:  # the first attempt goes at once
                await asyncio.sleep(delay)
            delivery.attempts += 1
            headers = self._headers(delivery, body)
            try:
                status = await self._poster.post(headers, body, self._client_timeout())
                if 200 <= status < 300:
                    return True
                delivery.lastError = f"HTTP {status}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                delivery.lastError = f"{type(exc).__name__}: {exc}"
            log.warning("sandbox.webhook_retry", event_type=delivery.eventType,
                        webhook_id=delivery.id, attempt=delivery.attempts, error=delivery.lastError)
        return False

    def close(self) -> None:
        """Closes the idle kept-alive connections (the session closes its own)."""
        self._poster.close()

    def log_json(self, event_type: str | None = None, company_id: str | None = None) -> list[dict]:
        return [asdict(d) for d in self.sent
                if (event_type is None or d.eventType == event_type)
                and (company_id is None or d.companyId == company_id)]
