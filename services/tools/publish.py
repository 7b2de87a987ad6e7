"""`ledgersync publish TYPE --entity-id ID --data JSON`: publish a domain event the way an
upstream service would (a CloudEvent on exchange domain.events, routing key = type).
For trying ledgersync out and for operators replaying an event by hand."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import aio_pika

from services.core.settings import Settings
from services.core.topology import DOMAIN_EXCHANGE


def envelope(event_type: str, entity_id: str, data: dict, source: str = "ledgersync-cli") -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": source, "type": event_type,
            "time": datetime.now(UTC).isoformat(), "entityid": entity_id,
            "datacontenttype": "application/json", "data": data}


async def publish(settings: Settings, event_type: str, entity_id: str, data_text: str) -> dict:
    if data_text.startswith("@"):
        with open(data_text[1:], encoding="utf-8") as handle:
            data_text = handle.read()
    event = envelope(event_type, entity_id, json.loads(data_text))
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(DOMAIN_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        await exchange.publish(aio_pika.Message(json.dumps(event).encode(), content_type="application/json",
                                                message_id=event["id"],
                                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               routing_key=event_type)
    finally:
        await connection.close()
    return event
