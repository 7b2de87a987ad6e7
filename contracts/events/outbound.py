"""Events out: what ledgersync publishes (through its outbox) on exchange `ledgersync.events`.

`source` is `ledgersync`, the routing key is the `type`.
"""
from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.api.common import ConnectionStatus, SyncStatus
from contracts.api.connections import AccountingConnectionResponse
from contracts.api.synced_records import SyncRecordResource
from contracts.events.domain import Price
from contracts.types import Contract, NonEmptyStr

LEDGERSYNC_SOURCE = "ledgersync"


class ConnectionStatusChangedData(AccountingConnectionResponse):
    """`accounting_connection.status_changed`: the connection as the API returns it, plus the
    status it had before (null for a new connection)."""

    previous_status: ConnectionStatus | None = None


class SyncedRecordStatusChangedData(SyncRecordResource):
    """`synced_record.status_changed`: the synced record as the API returns it, plus the
    status it had before (null for a new record)."""

    previous_status: SyncStatus | None = None


class ProductDiscoveredData(Contract):
    """`product.discovered`: an item of the accounting system that matched no product, for
    the product service to create ("pull for creation"). `synced_record_id` links the product
    it creates (send it back as the product's id mapping); `provider_object_id` is the item
    at the provider, `platform_object_id` the item in the accounting system."""

    synced_record_id: UUID
    connection_id: UUID
    product_id: UUID = Field(description="The id ledgersync gave the product; a product.created "
                             "with this id (or this name) completes the link.")
    name: NonEmptyStr
    description: str | None = None
    type: Literal["product", "service"] | None = None
    price: Price | None = Field(None, description="Unit price in minor units, when known.")
    measure_unit: str | None = None
    ledger_account_id: str | None = Field(None, description="Income ledger account "
                                          "(an id of `GET /v1/ledger_accounts`).")
    provider_object_id: NonEmptyStr
    platform_object_id: str | None = None


OUTBOUND_EVENT_TYPES: dict[str, type[BaseModel]] = {
    "accounting_connection.status_changed": ConnectionStatusChangedData,
    "synced_record.status_changed": SyncedRecordStatusChangedData,
    "product.discovered": ProductDiscoveredData,
}
"""Every event type ledgersync publishes → its `data` model."""
