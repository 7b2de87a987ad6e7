"""Behind queue ledgersync.webhooks: apply each stored delivery once, in one transaction."""
from __future__ import annotations

import json

import structlog
from aio_pika.abc import AbstractIncomingMessage

from services.connections import webhooks as connection_webhooks
from services.core.errors import PermanentError
from services.core.resources import Resources
from services.push import settle

log = structlog.get_logger(__name__)


def _route(event_type: str):
    if event_type.startswith("connection."):
        return connection_webhooks.on_connection_event
    if event_type.startswith("read.completed"):
        return connection_webhooks.on_read_completed
    if event_type.endswith((".write.successful", ".write.unsuccessful")):
        return settle.on_write_event
    return None


def make_webhook_consumer(res: Resources):
    async def consume(message: AbstractIncomingMessage) -> None:
        try:
            ref = json.loads(message.body)
            provider, webhook_id = ref["provider"], ref["webhook_id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError(f"malformed webhook reference: {exc}") from exc
        with structlog.contextvars.bound_contextvars(webhook_id=webhook_id, provider=provider):
            async with res.pool.acquire() as conn, conn.transaction():
                delivery = await conn.fetchrow(
                    "SELECT * FROM webhook_deliveries WHERE provider = $1 AND webhook_id = $2 FOR UPDATE",
                    provider, webhook_id)
                if delivery is None:
                    raise PermanentError(f"no stored webhook delivery {provider}:{webhook_id}")
                if delivery["processed_at"] is not None:
                    log.info("webhook.already_processed")
                    return
                handler = _route(delivery["event_type"])
                structlog.contextvars.bind_contextvars(event_type=delivery["event_type"])
                outcome = await handler(conn, res, delivery["event_type"], delivery["body"]) \
                    if handler else "ignored"
                await conn.execute("UPDATE webhook_deliveries SET processed_at = now(), outcome = $3 "
                                   "WHERE provider = $1 AND webhook_id = $2", provider, webhook_id, outcome)
            log.info("webhook.processed", outcome=outcome)

    return consume
