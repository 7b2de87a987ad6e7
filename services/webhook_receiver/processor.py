"""Behind queue ledgersync.webhooks: apply each stored delivery once, in one transaction."""
from __future__ import annotations

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts.commands import WebhookReference, parse_message
from contracts.errors import ContractViolation
from services.connections import notices
from services.core.errors import PermanentError
from services.providers.base import ConnectionNotice, ProviderAdapter, ReadNotice, WebhookNotice, WriteNotice
from services.push import settle
from services.webhook_receiver.intake import Intake

log = structlog.get_logger(__name__)


async def _apply(conn, provider: str, notice: WebhookNotice, webhook_id: str) -> tuple[str, bool]:
    """The one handler of each kind of notice: (outcome, whether it marked the delivery processed)."""
    if isinstance(notice, ConnectionNotice):
        return await notices.on_connection_notice(conn, provider, notice), False
    if isinstance(notice, ReadNotice):
        return await notices.on_read_notice(conn, provider, notice), False
    if isinstance(notice, WriteNotice):
        return await settle.on_write_notice(conn, notice, (provider, webhook_id))
    raise PermanentError(f"no handler for {type(notice).__name__}")


def make_webhook_consumer(pool: asyncpg.Pool, adapter: ProviderAdapter, provider: str, intake: Intake):
    """``intake``: shared with the receiver, which comes first (verify, store, 2xx)."""

    async def consume(message: AbstractIncomingMessage) -> None:
        try:
            ref = parse_message(WebhookReference, message.body, "webhook reference")
        except ContractViolation as exc:
            raise PermanentError(exc.reason) from exc
        provider, webhook_id = ref.provider, ref.webhook_id
        with structlog.contextvars.bound_contextvars(webhook_id=webhook_id, provider=provider):
            async with intake.processing_turn():
                await _process(pool, adapter, provider, webhook_id)

    return consume


async def _process(pool: asyncpg.Pool, adapter: ProviderAdapter, provider: str, webhook_id: str) -> None:
    """Apply one stored delivery in one transaction, once."""
    async with pool.acquire() as conn, conn.transaction():
        delivery = await conn.fetchrow(
            "SELECT * FROM webhook_deliveries WHERE provider = $1 AND webhook_id = $2 FOR UPDATE",
            provider, webhook_id)
        if delivery is None:
            raise PermanentError(f"no stored webhook delivery {provider}:{webhook_id}")
        if delivery["processed_at"] is not None:
            log.info("webhook.already_processed")
            return
        event_type = delivery["event_type"]
        structlog.contextvars.bind_contextvars(event_type=event_type)
        outcome, marked = "ignored", False
        if adapter.classify_webhook(event_type) == "handled":
            notice = adapter.read_webhook(event_type, delivery["body"])
            outcome, marked = await _apply(conn, provider, notice, webhook_id)
        if not marked:
            await conn.execute("UPDATE webhook_deliveries SET processed_at = now(), outcome = $3 "
                               "WHERE provider = $1 AND webhook_id = $2", provider, webhook_id, outcome)
    log.info("webhook.processed", outcome=outcome)
