"""Partner webhooks, Monite-compatible (SDK 0.5.4 `webhook_subscriptions`, `webhook_deliveries`,
`events`): subscriptions, the delivered event, the delivery log and the event list."""
from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator

from contracts.api.common import Order, PaginationToken
from contracts.types import Contract, LenientUtcDatetime, UtcDatetime

WebhookObjectType = Literal["accounting_connection", "accounting_synced_record"]
"""The object types ledgersync sends webhooks for (any other is refused with a 422)."""

OBJECT_EVENTS: dict[str, tuple[str, ...]] = {
    "accounting_connection": ("pending_auth", "connected", "disconnected", "deauthorized"),
    "accounting_synced_record": ("pending", "done", "error"),
}
"""Each object type's events; an event's `action` is `<object_type>.<event>`."""

WebhookSubscriptionStatus = Literal["enabled", "disabled"]
CursorField = Literal["created_at", "updated_at"]


def check_event_types(object_type: str, event_types: list[str] | None) -> list[str]:
    """The event types, or ValueError naming the ones `object_type` has."""
    known = OBJECT_EVENTS[object_type]
    unknown = [e for e in event_types or [] if e not in known]
    if unknown:
        raise ValueError(f"unknown event types {unknown} for object_type {object_type!r}; "
                         f"its events are {', '.join(known)} (an empty list means all)")
    return list(dict.fromkeys(event_types or []))


_URL = dict(min_length=1, max_length=2083, pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s\x00]*)?$",
            description="Where the webhooks are POSTed; HTTPS, a "
            "direct URL (redirects are not followed). Private, loopback and link-local targets are "
            "refused unless the deployment allows them (development only).")


class WebhookSubscriptionCreate(Contract):
    """`POST /v1/webhook_subscriptions`. `event_types` omitted or `[]` means all events."""

    object_type: WebhookObjectType
    url: str = Field(**_URL)
    event_types: list[str] | None = Field(None, validate_default=True)

    @field_validator("event_types")
    @classmethod
    def _known_events(cls, value: list[str] | None, info: ValidationInfo) -> list[str]:
        object_type = info.data.get("object_type")  # absent when it was invalid itself
        return check_event_types(object_type, value) if object_type else list(value or [])

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        """Documents which events each object type has: one variant per object type."""
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        variants = [{"type": "object", "required": schema.get("required", []), "properties": {
            **schema["properties"], "object_type": {"const": object_type},
            "event_types": {"anyOf": [{"type": "array", "items": {"enum": list(events)}}, {"type": "null"}],
                            "description": "Omitted, null or `[]`: every event of the object type."}}}
            for object_type, events in OBJECT_EVENTS.items()]
        kept = {key: schema[key] for key in ("title", "description") if key in schema}
        schema.clear()
        schema.update(kept, oneOf=variants)
        return reference


class WebhookSubscriptionUpdate(Contract):
    """`PATCH /v1/webhook_subscriptions/{id}`: only the fields given (and not null) change."""

    object_type: WebhookObjectType | None = None
    url: str | None = Field(None, **_URL)
    event_types: list[str] | None = Field(None, description="Events of the subscription's object type "
                                          "(as it is after this change); any other is a 422.",
                                          json_schema_extra={"anyOf": [{"type": "array", "items": {
                                              "enum": sorted({e for v in OBJECT_EVENTS.values() for e in v})}},
                                              {"type": "null"}]})


class WebhookSubscriptionResource(Contract):
    """A subscription (SDK `WebhookSubscriptionResource`); never shows the secret."""

    id: UUID = Field(description="Also sent in every webhook as `webhook_subscription_id`.")
    event_types: list[str] = Field(description="`[]` means every event of the object type.")
    object_type: WebhookObjectType
    status: WebhookSubscriptionStatus
    url: str
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class WebhookSubscriptionResourceWithSecret(WebhookSubscriptionResource):
    """Create and `regenerate_secret` only: the signing secret, shown once. Deliveries carry
    `Monite-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
    whole secret (its `whsec_` prefix included)."""

    secret: str


class WebhookSubscriptionPaginationResource(Contract):
    data: list[WebhookSubscriptionResource]
    next_pagination_token: str | None = None
    prev_pagination_token: str | None = None


class _ListQuery(Contract):
    """With `pagination_token`, everything but `limit` comes from the token."""

    order: Order = "asc"
    limit: int = Field(100, ge=0, le=100)
    pagination_token: PaginationToken | None = None
    sort: CursorField | None = None
    created_at__gt: LenientUtcDatetime | None = None
    created_at__lt: LenientUtcDatetime | None = None
    created_at__gte: LenientUtcDatetime | None = None
    created_at__lte: LenientUtcDatetime | None = None


class WebhookSubscriptionListQuery(_ListQuery):
    """`GET /v1/webhook_subscriptions`: the partner's subscriptions, enabled and disabled."""

    object_type: WebhookObjectType | None = None


class EventListQuery(_ListQuery):
    """`GET /v1/events`: the entity's events (kept 90 days)."""

    object_type: WebhookObjectType | None = None


class WebhookDeliveryListQuery(_ListQuery):
    """`GET /v1/webhook_deliveries`: one row per event and subscription (kept 90 days).
    `event_action` is `<object_type>.<event>` or the bare event."""

    event_id: UUID | None = None
    object_type: WebhookObjectType | None = None
    event_action: str | None = None


class EventResource(Contract):
    """An event as `GET /v1/events` returns it (SDK `EventResource`)."""

    id: UUID = Field(description="The event id; the same id arrives in the webhook body.")
    created_at: UtcDatetime = Field(description="When the change was committed.")
    action: str = Field(description="`<object_type>.<event>`, e.g. `accounting_connection.connected`.")
    api_version: str | None = None
    description: str
    entity_id: UUID
    object: dict[str, Any] | None = Field(None, description="The object as the API returns it.")
    object_id: UUID | None = None
    object_type: WebhookObjectType


class WebhookEvent(EventResource):
    """The body POSTed to a subscription's URL (SDK `EventResourceForWebhookClient`)."""

    webhook_subscription_id: UUID


class EventPaginationResource(Contract):
    data: list[EventResource]
    next_pagination_token: str | None = None
    prev_pagination_token: str | None = None


class WebhookDeliveryAttempt(Contract):
    """One POST of a delivery: when, how long, and what came back."""

    attempt: int
    started_at: UtcDatetime
    duration_ms: int
    url: str
    status_code: int | None = None
    error: str | None = None


class WebhookDeliveryResource(Contract):
    """One event sent to one subscription (SDK `WebhookDeliveryResource`), with its attempts.
    `status`: `pending` (being retried), `delivered` or `failed` (retries given up)."""

    id: UUID
    event_id: UUID
    requests_made_count: int
    response: str | None = Field(None, description="The last answer's body (cut at 1000 chars) or error.")
    response_status_code: int | None = None
    url: str
    was_successful: bool | None = Field(None, description="null while the delivery is pending.")
    status: Literal["pending", "delivered", "failed"]
    webhook_subscription_id: UUID
    object_type: WebhookObjectType
    event_action: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    next_attempt_at: UtcDatetime | None = None
    attempts: list[WebhookDeliveryAttempt] = Field(default_factory=list)


class WebhookDeliveryPaginationResource(Contract):
    data: list[WebhookDeliveryResource]
    next_pagination_token: str | None = None
    prev_pagination_token: str | None = None
