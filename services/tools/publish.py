"""`ledgersync publish TYPE --entity-id ID --data JSON`: publish a domain event the way an
upstream service would (a CloudEvent on exchange domain.events, routing key = type).
For trying ledgersync out and for operators replaying an event by hand."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import aio_pika

from services.core.broker import Broker, BrokerPublisher
from services.core.settings import Settings
from services.core.topology import DOMAIN_EXCHANGE


def envelope(event_type: str, entity_id: str, data: dict, source: str = "ledgersync-cli") -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": source, "type": event_type,
            "time": datetime.now(UTC).isoformat(), "entityid": entity_id,
            "datacontenttype": "application/json", "data": data}


async def declare_domain_exchange(channel) -> None:
    await channel.declare_exchange(DOMAIN_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)


async def publish(settings: Settings, event_type: str, entity_id: str, data_text: str,
                  wait_s: float = 60.0) -> dict:
    """Publish once, confirmed by the broker; a broker that is away (restarting) is waited for
    up to ``wait_s`` seconds, and a publish lost with the connection is sent again."""
    if data_text.startswith("@"):
        with open(data_text[1:], encoding="utf-8") as handle:
            data_text = handle.read()
    event = envelope(event_type, entity_id, json.loads(data_text))
    broker = Broker(settings.amqp_url, name="ledgersync-publish", setup=declare_domain_exchange)
    await broker.start(wait_s=0)
    try:
        await BrokerPublisher(broker, wait_s=wait_s).publish(DOMAIN_EXCHANGE, event_type, event,
                                                             message_id=event["id"])
    finally:
        await broker.stop()
    return event
