"""Which of our events become partner events, and what a partner receives. Pure."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.api.partner_webhooks import OBJECT_EVENTS, WebhookEvent

# outbox event type → (partner object type, the data field holding the event name)
SOURCES = {
    "accounting_connection.status_changed": ("accounting_connection", "status"),
    "synced_record.status_changed": ("accounting_synced_record", "sync_status"),
}
_LABELS = {"accounting_connection": "Accounting connection", "accounting_synced_record": "Synced record"}


@dataclass(frozen=True)
class PartnerEvent:
    id: str
    entity_id: str
    object_type: str
    event: str
    object: dict[str, Any]
    object_id: str
    created_at: datetime

    @property
    def action(self) -> str:
        return f"{self.object_type}.{self.event}"

    @property
    def description(self) -> str:
        return f"{_LABELS[self.object_type]} {self.object_id} is now {self.event}"


def partner_event(event: dict[str, Any]) -> PartnerEvent:
    """The partner's view of one of our events (a JSON-ready CloudEvent, as `make_event` gives)."""
    object_type, field = SOURCES[event["type"]]
    data = dict(event["data"])
    previous = data.pop("previous_status", None)
    name = data[field]
    if name not in OBJECT_EVENTS[object_type]:
        raise ValueError(f"{object_type} has no event {name!r} (previous {previous!r})")
    return PartnerEvent(str(event["id"]), str(event["entityid"]), object_type, name, data,
                        str(data["id"]), datetime.fromisoformat(event["time"]))


def wants(event_types: list[str], event: str) -> bool:
    return not event_types or event in event_types


def body(row, subscription) -> bytes:
    """The exact bytes POSTed (and signed) for a stored event and a subscription."""
    event = WebhookEvent(
        id=row["id"], created_at=row["created_at"], action=row["action"],
        api_version=subscription["api_version"], description=row["description"],
        entity_id=row["entity_id"], object=row["object"], object_id=row["object_id"],
        object_type=row["object_type"], webhook_subscription_id=subscription["id"])
    return json.dumps(event.model_dump(mode="json"), separators=(",", ":")).encode()
