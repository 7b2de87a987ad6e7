"""Synced records: `/v1/accounting_synced_records` (SDK `accounting.synced_records`)."""
from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from contracts.api.common import Order, PaginationToken, Platform, ServiceProvider, SyncObjectType, SyncStatus
from contracts.types import Contract, LenientUtcDatetime, UtcDatetime


class SyncErrorItem(Contract):
    """One unmet rule or provider complaint, e.g. `{"code": "tax_rate_not_found", "message":
    "No tax rate of 19.00% exists in Xero", "hint": "Create it in Xero and push again"}`.
    A suggested building block for `SyncRecordResource.errors`, which stays an open object."""

    code: str
    message: str
    hint: str | None = None


class SyncRecordResource(Contract):
    """One synced record: a partner object and its twin in the accounting system."""

    id: UUID
    created_at: UtcDatetime
    updated_at: UtcDatetime
    errors: dict[str, Any] | None = Field(None, description="Why the record is in `error`; "
                                          "an object (the SDK types it as a free-form map).")
    last_pulled_at: UtcDatetime
    object_id: UUID | None = Field(None, description="The partner's object (counterpart, …).")
    object_type: SyncObjectType
    object_updated_at: UtcDatetime | None = None
    platform: Platform | None = None
    platform_object_id: str | None = Field(None, description="Id in the accounting system.")
    platform_updated_at: UtcDatetime | None = None
    provider: ServiceProvider | None = None
    provider_object_id: str | None = Field(None, description="Id at the provider (Codat).")
    provider_updated_at: UtcDatetime | None = None
    sync_status: SyncStatus


class SyncRecordList(Contract):
    """A page of synced records, with keyset tokens (null at either end)."""

    data: list[SyncRecordResource]
    next_pagination_token: str | None = None
    prev_pagination_token: str | None = None


SyncRecordResourceList = SyncRecordList


class SyncedRecordListQuery(Contract):
    """Query of `GET /v1/accounting_synced_records`. With `pagination_token`, everything
    but `limit` comes from the token. Date-times without an offset are taken as UTC."""

    object_type: SyncObjectType
    order: Order = "asc"
    limit: int = Field(100, ge=0, le=250)
    pagination_token: PaginationToken | None = None
    sort: Literal["created_at", "updated_at"] | None = None
    object_id: UUID | None = None
    object_id__in: list[UUID] | None = Field(None, description="Repeat the parameter per id.")
    created_at__gt: LenientUtcDatetime | None = None
    created_at__lt: LenientUtcDatetime | None = None
    created_at__gte: LenientUtcDatetime | None = None
    created_at__lte: LenientUtcDatetime | None = None
    updated_at__gt: LenientUtcDatetime | None = None
    updated_at__lt: LenientUtcDatetime | None = None
    updated_at__gte: LenientUtcDatetime | None = None
    updated_at__lte: LenientUtcDatetime | None = None
