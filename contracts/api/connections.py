"""Accounting connections: `/v1/accounting_connections` (SDK `accounting.connections`)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from contracts.api.common import ConnectionStatus, Platform, Text
from contracts.types import Contract, UtcDatetime


class BusinessInfo(Contract):
    """What the accounting system says about the business (SDK `BusinessInfoSchema`)."""

    base_currency: str | None = None
    email: str | None = None
    legal_name: str | None = None
    name: str | None = None
    type: str | None = None


class AccountingConnectionError(Contract):
    """One connection error, `{"message": "..."}` (SDK `ErrorSchema`)."""

    message: str


ConnectionError = AccountingConnectionError  # noqa: A001 - the SDK's name; prefer the long one


class AccountingConnectionResponse(Contract):
    """One connection. `platform` is null until the user picked an accounting system."""

    id: UUID
    created_at: UtcDatetime
    updated_at: UtcDatetime
    business_info: BusinessInfo | None = None
    connection_url: str = Field(description="Where the user grants access (the provider's link).")
    errors: list[AccountingConnectionError] | None = None
    last_pull: UtcDatetime | None = Field(None, description="When data was last pulled.")
    platform: Platform | None = None
    status: ConnectionStatus


class AccountingConnectionList(Contract):
    data: list[AccountingConnectionResponse]


class CreateConnectionRequest(Contract):
    """Optional body of `POST /v1/accounting_connections` (the SDK sends none): an older API
    version's `platform` preselects the accounting system."""

    platform: Platform | None = None


class DataPullQuery(Contract):
    """Query of `POST …/{connection_id}/data_pulls` (older API): which dataset to pull."""

    resource_type: Text | None = Field(None, examples=["receivables", "line_items"])


class DataPull(Contract):
    id: UUID
    connection_id: UUID
    resource_type: str
    status: str = Field(examples=["queued"], description="queued, in_progress, done or error.")
    requested_at: UtcDatetime
    errors: list[dict[str, Any]] | None = None


class DataPullResponse(Contract):
    """Response of the older `POST /v1/accounting_connections/{connection_id}/data_pulls`."""

    data: list[DataPull]
