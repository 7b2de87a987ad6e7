"""Queue ledgersync.partner-webhooks: each outbox event becomes a partner event (GET /v1/events)
and one pending delivery per matching enabled subscription, in one transaction, once."""
from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from contracts.events import OUTBOUND_EVENT_TYPES, CloudEvent, envelope_model
from services.core.bus import routing_key
from services.core.errors import PermanentError
from services.entities import partner_of
from services.partner_webhooks import subscriptions
from services.partner_webhooks.deliveries import CHANNEL
from services.partner_webhooks.catalog import SOURCES, PartnerEvent, partner_event

log = structlog.get_logger(__name__)
# A delivery is first due a moment after its event occurred, so an earlier event of the same
# connection that the relay published a little later still goes first (order per connection).
ORDER_HOLD = timedelta(seconds=1)


def parse(raw: bytes, key: str | None) -> PartnerEvent:
    try:
        envelope = CloudEvent[dict].model_validate_json(raw)
        if envelope.type not in SOURCES or (key and key != envelope.type):
            raise PermanentError(f"not a partner-webhook source: type {envelope.type!r}, key {key!r}")
        event = envelope_model(envelope.type, OUTBOUND_EVENT_TYPES[envelope.type]).model_validate_json(raw)
        return partner_event(event)
    except (ValidationError, ValueError) as exc:
        raise PermanentError(f"invalid event: {exc}") from exc


async def _connection_of(conn, event: PartnerEvent) -> uuid.UUID | None:
    if event.object_type == "accounting_connection":
        return uuid.UUID(event.object_id)
    return await conn.fetchval("SELECT connection_id FROM synced_records WHERE id = $1",
                               uuid.UUID(event.object_id))


async def fan_out(conn, event: PartnerEvent, give_up_after: timedelta) -> int | None:
    """Store the event and its deliveries; None when the event was seen before."""
    partner_id = await partner_of(conn, uuid.UUID(event.entity_id))
    if partner_id is None:
        raise PermanentError(f"entity {event.entity_id} is unknown")
    connection_id = await _connection_of(conn, event)
    fresh = await conn.fetchval(
        "INSERT INTO partner_events (id, entity_id, partner_id, object_type, action, object_id, "
        "connection_id, description, object, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
        "ON CONFLICT (id) DO NOTHING RETURNING true", uuid.UUID(event.id), uuid.UUID(event.entity_id),
        partner_id, event.object_type, event.action, uuid.UUID(event.object_id), connection_id,
        event.description, event.object, event.created_at)
    if not fresh:
        return None
    targets = await subscriptions.matching(conn, partner_id, event.object_type, event.event)
    if not targets:
        return 0
    await conn.executemany(
        "INSERT INTO partner_webhook_deliveries (id, event_id, subscription_id, entity_id, object_type, "
        "action, ordering_key, occurred_at, url, give_up_at, next_attempt_at) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, now() + $10::interval, "
        "GREATEST(now(), $8::timestamptz + $11::interval))",
        [(uuid.uuid4(), uuid.UUID(event.id), s["id"], uuid.UUID(event.entity_id), event.object_type,
          event.action, str(connection_id or event.object_id), event.created_at, s["url"], give_up_after,
          ORDER_HOLD)
         for s in targets])
    await conn.execute(f"NOTIFY {CHANNEL}")
    return len(targets)


def make_fanout_consumer(pool: asyncpg.Pool, give_up_after: timedelta):
    async def consume(message: AbstractIncomingMessage) -> None:
        event = parse(message.body, routing_key(message))
        with structlog.contextvars.bound_contextvars(event_id=event.id, entity_id=event.entity_id,
                                                     action=event.action):
            async with pool.acquire() as conn, conn.transaction():
                count = await fan_out(conn, event, give_up_after)
            log.info("partner_event.stored", deliveries=count, duplicate=count is None)

    return consume
