"""Entity accounting settings: `GET`/`PATCH /v1/entities/{entity_id}/settings`.

Also the shape of `settings.accounting` in `entity.*` domain events.
"""
from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from contracts.api.common import Text
from contracts.types import Contract


class DefaultLedgerAccountIDs(Contract):
    payments: Text | None = Field(None, description="Ledger account every payment record is pushed to; "
                                 "payment records cannot be pushed without it.")
    products: Text | None = Field(None, description="Ledger account for products without their own.")


class DefaultAccountingTaxIDs(Contract):
    deductions: Text | None = Field(None, description="Tax id with which deductions are pushed.")


class AccountingSettings(Contract):
    """`{"ledger_account_ids": {"payments", "products"}, "tax_ids": {"deductions"}}`."""

    ledger_account_ids: DefaultLedgerAccountIDs | None = None
    tax_ids: DefaultAccountingTaxIDs | None = None


EntitySettingsAccounting = AccountingSettings


class AccountingSettingsPayload(Contract):
    """Body of `PATCH /v1/entities/{entity_id}/settings`. ledgersync serves the `accounting`
    part of an entity's settings only: any other setting the SDK knows (`language`,
    `vat_mode`, …) with a value is refused with a 422 naming it, never silently dropped (a
    `null` one changes nothing and is accepted). An absent `accounting` changes nothing."""

    model_config = ConfigDict(extra="forbid")

    accounting: AccountingSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _only_accounting(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        others = sorted(key for key, value in data.items() if key != "accounting" and value is not None)
        if others:
            raise PydanticCustomError(
                "extra_forbidden", "ledgersync serves only the `accounting` part of entity "
                "settings; not stored, so refused: {fields}", {"fields": ", ".join(others)})
        return {key: value for key, value in data.items() if key == "accounting"}


class EntitySettingsResponse(Contract):
    """Response of both settings calls; parses as the SDK's `SettingsResponse`."""

    accounting: AccountingSettings | None = None
