"""Provider webhooks in: Codat's envelope `{id, eventType, generatedDate, payload}` and the
payloads ledgersync consumes (reference/codat/NOTES.md §7). Tolerant: unknown fields are
ignored; date-times without an offset are taken as UTC (Codat sends some unqualified)."""
from __future__ import annotations

import json
import re
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from contracts.errors import ContractViolation
from contracts.types import Contract, LenientUtcDatetime, NonEmptyStr

PayloadT = TypeVar("PayloadT")


class CodatWebhook(Contract, Generic[PayloadT]):
    """The envelope of every current Codat webhook."""

    id: NonEmptyStr = Field(description="Unique id of the event.")
    eventType: NonEmptyStr = Field(examples=["invoices.write.successful"])
    generatedDate: LenientUtcDatetime
    payload: PayloadT


class CompanyLinks(Contract):
    portal: str | None = None


class CompanyReference(Contract):
    """The Codat company (one per entity; `tags.entity_id` names it)."""

    id: NonEmptyStr
    name: str | None = None
    description: str | None = None
    links: CompanyLinks | None = None
    tags: dict[str, str] | None = None


class DataConnectionError(Contract):
    statusCode: str | None = None
    statusText: str | None = None
    errorMessage: str | None = None
    erroredOnUtc: LenientUtcDatetime | None = None
    status: str | None = None


CodatConnectionStatus = Literal["PendingAuth", "Linked", "Unlinked", "Deauthorized"]


class CodatConnection(Contract):
    """The subset of Codat's `Connection` ledgersync reads; only `id` and `status` are
    required (Codat's spec requires more, but a reader needs no more)."""

    id: NonEmptyStr
    status: CodatConnectionStatus
    platformName: str | None = None
    integrationKey: str | None = Field(None, description="Four letters; `gbol` is Xero.")
    integrationId: str | None = None
    sourceId: str | None = None
    sourceType: str | None = None
    linkUrl: str | None = None
    connectionInfo: dict[str, str] | None = None
    lastSync: LenientUtcDatetime | None = None
    created: LenientUtcDatetime | None = None
    dataConnectionErrors: list[DataConnectionError] | None = None


class ConnectionEventPayload(Contract):
    """`connection.*`: the new status is `connection.status`."""

    referenceCompany: CompanyReference
    connection: CodatConnection


class WriteRecord(Contract):
    id: str | None = Field(None, description="The record's id in the accounting system.")


class WriteEventPayload(Contract):
    """`{dataType}.write.successful|unsuccessful`. `id` is the push operation key.
    `TimedOut` arrives as `.write.unsuccessful` and carries no validation details."""

    id: NonEmptyStr = Field(description="The write request (push operation) id.")
    type: Literal["Create", "Update", "Delete", "UploadAttachment"] | None = None
    referenceCompany: CompanyReference
    connectionId: str | None = None
    requestedOnDate: LenientUtcDatetime | None = None
    completedOnDate: LenientUtcDatetime | None = None
    status: Literal["Pending", "Failed", "Success", "TimedOut"]
    record: WriteRecord | None = None
    attachmentId: str | None = None


class ReadIssueLinks(Contract):
    logs: str | None = None
    portal: str | None = None
    readMore: str | None = None


class ReadIssue(Contract):
    type: str | None = None
    message: str | None = None
    links: ReadIssueLinks | None = None


class ReadDataType(Contract):
    """One dataset of a read; `status` uses Codat's dataset enum (`Complete`, …)."""

    connectionId: str | None = None
    dataType: NonEmptyStr = Field(examples=["invoices", "taxRates", "chartOfAccounts"])
    recordsModified: bool | None = None
    status: str | None = Field(None, examples=["Complete", "FetchError"])
    issues: list[ReadIssue] = Field(default_factory=list)


class ReadCompletedPayload(Contract):
    """`read.completed` / `read.completed.initial`: these datasets are fresh."""

    referenceCompany: CompanyReference
    modifiedFromDate: LenientUtcDatetime | None = None
    dataTypes: list[ReadDataType] = Field(default_factory=list)


CONNECTION_EVENT_TYPES = ("connection.created", "connection.connected", "connection.failed",
                          "connection.disconnected", "connection.reconnected", "connection.deleted")
READ_EVENT_TYPES = ("read.completed", "read.completed.initial")
_WRITE_EVENT = re.compile(r"^(?P<data_type>[A-Za-z]+)\.write\.(?:successful|unsuccessful)$")

WEBHOOK_PAYLOADS: dict[str, type[BaseModel]] = {
    "connection.*": ConnectionEventPayload,
    "{dataType}.write.successful|unsuccessful": WriteEventPayload,
    "read.completed[.initial]": ReadCompletedPayload,
}
"""Event-type patterns → payload models (for documents; dispatch is `payload_model`)."""


def payload_model(event_type: str) -> type[BaseModel] | None:
    """The payload model of a webhook event type, or None for a type ledgersync ignores."""
    if event_type in CONNECTION_EVENT_TYPES:
        return ConnectionEventPayload
    if event_type in READ_EVENT_TYPES:
        return ReadCompletedPayload
    if _WRITE_EVENT.match(event_type):
        return WriteEventPayload
    return None


def write_data_type(event_type: str) -> str | None:
    """`invoices.write.successful` → `invoices`; None for other event types."""
    match = _WRITE_EVENT.match(event_type)
    return match["data_type"] if match else None


def parse_webhook_envelope(body: dict[str, Any] | bytes | str) -> CodatWebhook[dict[str, Any]]:
    """The envelope, payload still a dict. Raises `ContractViolation`."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContractViolation(f"webhook body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ContractViolation(f"webhook body is not a JSON object but {type(body).__name__}")
    try:
        return CodatWebhook[dict[str, Any]].model_validate(body)
    except ValidationError as exc:
        raise ContractViolation.from_validation_error("invalid webhook envelope", exc) from exc


def parse_webhook(body: dict[str, Any] | bytes | str) -> tuple[str, BaseModel]:
    """`(eventType, payload model)` for a consumed webhook; `ContractViolation` for an
    invalid envelope or payload, or an event type ledgersync does not consume."""
    envelope = parse_webhook_envelope(body)
    model = payload_model(envelope.eventType)
    if model is None:
        raise ContractViolation(f"unknown webhook event type {envelope.eventType!r}")
    try:
        return envelope.eventType, model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise ContractViolation.from_validation_error(
            f"invalid payload of {envelope.eventType!r}", exc, ("payload",)) from exc
