"""Enumerations, error bodies and small bodies shared by the API resources."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, RootModel, StringConstraints

from contracts.types import Contract

Platform = Literal["xero", "quickbooks", "quickbooks_online", "quickbooks_online_sandbox"]
"""Accounting systems a connection can point at (SDK `Platform`)."""

ConnectionStatus = Literal["pending_auth", "connected", "disconnected", "deauthorized"]
SyncStatus = Literal["pending", "error", "done"]
ServiceProvider = Literal["codat", "railz"]
SyncObjectType = Literal["product", "customer", "vendor", "receivable", "bill", "payment_record",
                         "credit_note"]
"""SDK `ObjectMatchTypes` plus `credit_note` (the SDK accepts unknown values)."""
Order = Literal["asc", "desc"]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_no_nul), Field(json_schema_extra={"pattern": "^[^\\x00]*$"})]
"""A string a client sends: any text but NUL, which PostgreSQL cannot store."""

NonEmptyText = Annotated[Text, StringConstraints(min_length=1)]

PaginationToken = Annotated[Text, Field(
    description="Opaque: the `next_pagination_token` or `prev_pagination_token` of a page of the "
                "same list, passed back unchanged. With it, every other parameter but `limit` "
                "comes from the token. A token that is not one of ours (made up, altered, from "
                "another list or another server) answers 422.")]


class MessageResponse(Contract):
    """`{"message": "..."}`: revoke, sync (SDK `MessageResponse` / `AccountingMessageResponse`)."""

    message: str


class ErrorDetail(Contract):
    message: str


class ErrorBody(Contract):
    """Every 4xx but 422: `{"error": {"message": "..."}}` (SDK `ErrorSchemaResponse`)."""

    error: ErrorDetail

    @classmethod
    def of(cls, message: str) -> "ErrorBody":
        return cls(error=ErrorDetail(message=message))


class ValidationErrorItem(Contract):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(Contract):
    """422: `{"detail": [{"loc", "msg", "type"}]}` (SDK `HttpValidationError`)."""

    detail: list[ValidationErrorItem]


class HealthResponse(Contract):
    """`GET /healthz`: the process is alive, `{"status": "ok"}`."""

    status: Literal["ok"]


ReadinessPart = Annotated[str | dict[str, str], Field(
    description='"ok" (a consumer: "subscribed"), else what is wrong ("down", "not subscribed"); '
                "`consumers` maps each queue the process consumes to its state.")]


class ReadinessResponse(RootModel[dict[str, ReadinessPart]]):
    """`GET /readyz`, 200 and 503 alike: each part the process needs and its state, e.g.
    `{"database": "ok", "broker": "down", "consumers": {"ledgersync.webhooks": "not subscribed"}}`.
    200 only while every part is fine."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"database": "ok", "broker": "ok"},
        {"database": "ok", "broker": "down", "consumers": {"ledgersync.webhooks": "not subscribed"}}]})
