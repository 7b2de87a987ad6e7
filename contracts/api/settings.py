"""Entity accounting settings: `GET`/`PATCH /v1/entities/{entity_id}/settings`.

Also the shape of `settings.accounting` in `entity.*` domain events.
"""
from __future__ import annotations

from pydantic import Field

from contracts.types import Contract


class DefaultLedgerAccountIDs(Contract):
    payments: str | None = Field(None, description="Ledger account every payment record is pushed to; "
                                 "payment records cannot be pushed without it.")
    products: str | None = Field(None, description="Ledger account for products without their own.")


class DefaultAccountingTaxIDs(Contract):
    deductions: str | None = Field(None, description="Tax id with which deductions are pushed.")


class AccountingSettings(Contract):
    """`{"ledger_account_ids": {"payments", "products"}, "tax_ids": {"deductions"}}`."""

    ledger_account_ids: DefaultLedgerAccountIDs | None = None
    tax_ids: DefaultAccountingTaxIDs | None = None


EntitySettingsAccounting = AccountingSettings


class AccountingSettingsPayload(Contract):
    """Body of `PATCH /v1/entities/{entity_id}/settings`. The SDK's other settings
    (currency, language, …) are accepted and ignored; an absent `accounting` changes nothing."""

    accounting: AccountingSettings | None = None


class EntitySettingsResponse(Contract):
    """Response of both settings calls; parses as the SDK's `SettingsResponse`."""

    accounting: AccountingSettings | None = None
