"""Enumerations, error bodies and small bodies shared by the API resources."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

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
    """`GET /healthz` and `GET /readyz`: `status` and, for readiness, each dependency's
    state (`{"database": "ok", "broker": "unreachable: ..."}`)."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
