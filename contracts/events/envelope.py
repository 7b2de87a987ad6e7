"""The CloudEvents 1.0 envelope (structured JSON mode) shared by every event in and out."""
from __future__ import annotations

from functools import cache
from typing import Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field, create_model

from contracts.types import Contract, NonEmptyStr, UtcDatetime

DataT = TypeVar("DataT")


class CloudEvent(Contract, Generic[DataT]):
    """A CloudEvent whose `data` is `DataT`. `id` is the consumer's idempotency key;
    `entityid` (an extension attribute) names the entity the event belongs to. Other
    extension attributes are ignored."""

    specversion: Literal["1.0"]
    id: NonEmptyStr = Field(description="Unique per event; the consumer's idempotency key.")
    source: NonEmptyStr = Field(examples=["receivables-service", "ledgersync"])
    type: NonEmptyStr = Field(description="Event type; also the AMQP routing key.")
    time: UtcDatetime = Field(description="When it happened; timezone-aware (normalised to UTC).")
    entityid: UUID = Field(description="The entity the event belongs to (extension attribute).")
    datacontenttype: str = "application/json"
    subject: str | None = None
    data: DataT


def envelope_name(event_type: str) -> str:
    """`credit_note.issued` → `CreditNoteIssuedEvent`."""
    words = event_type.replace(".", "_").split("_")
    return "".join(word.capitalize() for word in words) + "Event"


@cache
def envelope_model(event_type: str, data_model: type[BaseModel]) -> type[CloudEvent]:
    """`CloudEvent[data_model]` with `type` pinned to `event_type` (for schemas)."""
    model = create_model(  # type: ignore[call-overload]
        envelope_name(event_type),
        __base__=CloudEvent[data_model],  # type: ignore[valid-type]
        __doc__=f"A `{event_type}` CloudEvent; `data` is {data_model.__name__}.",
        type=(Literal[event_type], Field(description="Event type; also the AMQP routing key.")),
    )
    return model
