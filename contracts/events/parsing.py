"""Reading domain events off the bus, and making events to publish."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from contracts.errors import ContractViolation
from contracts.events.domain import DOMAIN_EVENT_TYPES
from contracts.events.envelope import CloudEvent, envelope_model
from contracts.events.outbound import LEDGERSYNC_SOURCE, OUTBOUND_EVENT_TYPES

# held here: pydantic keeps a parametrized model only weakly; py-spy caught the push-worker
# rebuilding this one (a model class, milliseconds of CPU) in the middle of a bench run
_ENVELOPE = CloudEvent[dict[str, Any]]


def parse_domain_event(raw: bytes | str | dict[str, Any], routing_key: str | None = None) -> CloudEvent[Any]:
    """Parse and validate one domain event as delivered (body and routing key; a body decoded
    already by ``load_object`` is taken as it is, so a consumer that keeps it parses it once).

    Returns a `CloudEvent` whose `data` is the type's model (`DOMAIN_EVENT_TYPES`).
    Raises `ContractViolation` when the body is not JSON, not an object, not a valid
    envelope, of an unknown type, of another type than its routing key, or its data is invalid.
    """
    obj = raw if isinstance(raw, dict) else load_object(raw)
    try:
        envelope = _ENVELOPE.model_validate(obj)
    except ValidationError as exc:
        raise ContractViolation.from_validation_error("invalid CloudEvents envelope", exc) from exc
    event_type = envelope.type
    data_model = DOMAIN_EVENT_TYPES.get(event_type)
    if data_model is None:
        known = ", ".join(sorted(DOMAIN_EVENT_TYPES))
        raise ContractViolation(f"unknown event type {event_type!r} (known: {known})",
                                [{"loc": ["type"], "msg": "unknown event type",
                                  "type": "unknown_event_type"}])
    if routing_key is not None and routing_key != event_type:
        raise ContractViolation(
            f"routing key {routing_key!r} does not match event type {event_type!r}",
            [{"loc": ["type"], "msg": "routing key mismatch", "type": "routing_key_mismatch"}])
    event = _validate(envelope_model(event_type, data_model), obj, f"invalid data for {event_type!r}")
    _check_entity(event)
    return event


def make_event(type: str, data: BaseModel | dict[str, Any], entity_id: UUID | str,  # noqa: A002
               source: str = LEDGERSYNC_SOURCE, subject: str | None = None,
               id: str | None = None, time: datetime | None = None) -> dict[str, Any]:  # noqa: A002
    """A JSON-ready CloudEvent of a registered type (outbound or domain), validated.

    `id` defaults to a new UUID and `time` to now (UTC). Raises `ContractViolation` for
    an unknown type or invalid data.
    """
    data_model = OUTBOUND_EVENT_TYPES.get(type) or DOMAIN_EVENT_TYPES.get(type)
    if data_model is None:
        raise ContractViolation(f"unknown event type {type!r}")
    payload = data.model_dump() if isinstance(data, BaseModel) else data
    obj = {"specversion": "1.0", "id": id or str(uuid.uuid4()), "source": source, "type": type,
           "time": time or datetime.now(timezone.utc), "entityid": entity_id,
           "datacontenttype": "application/json", "subject": subject, "data": payload}
    event = _validate(envelope_model(type, data_model), obj, f"invalid data for {type!r}")
    return event.model_dump(mode="json", exclude_none=False)


def load_object(raw: bytes | str) -> dict[str, Any]:
    """A body's JSON object; ``ContractViolation`` when it is not JSON or not an object."""
    try:
        obj = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractViolation(f"body is not JSON: {exc}",
                                [{"loc": [], "msg": str(exc), "type": "json_invalid"}]) from exc
    if not isinstance(obj, dict):
        raise ContractViolation(f"body is not a JSON object but {type(obj).__name__}",
                                [{"loc": [], "msg": "not an object", "type": "dict_type"}])
    return obj


def _validate(model: type[CloudEvent], obj: dict[str, Any], reason: str) -> CloudEvent:
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise ContractViolation.from_validation_error(reason, exc) from exc


def _check_entity(event: CloudEvent[Any]) -> None:
    if event.type.startswith("entity.") and event.data.id != event.entityid:
        raise ContractViolation(
            f"data.id {event.data.id} of {event.type!r} differs from entityid {event.entityid}",
            [{"loc": ["data", "id"], "msg": "differs from entityid", "type": "entity_mismatch"}])
