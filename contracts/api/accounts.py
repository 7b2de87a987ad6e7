"""Pulled tax rates and ledger accounts: `/v1/accounting_tax_rates`, `/v1/ledger_accounts`."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.api.common import Order, PaginationToken
from contracts.types import Contract, Currency


class CursorListQuery(Contract):
    """Query of the tax-rate and ledger-account lists (keyset pagination, sorted by name)."""

    order: Order = "asc"
    limit: int = Field(100, ge=0, le=250)
    pagination_token: PaginationToken | None = None
    sort: Literal["name"] | None = None


class TaxComponent(Contract):
    name: str | None = None
    rate: int | None = Field(None, description="Percent in minor units: 12.5% is 1250.")
    is_compound: bool | None = None


class AccountingTaxRateResponse(Contract):
    """A tax rate of the accounting system. Rates are percent in minor units (12.5% = 1250)."""

    id: str
    code: str | None = None
    components: list[TaxComponent] | None = None
    effective_tax_rate: int | None = None
    name: str | None = None
    status: str | None = Field(None, examples=["Active", "Archived"])
    total_tax_rate: int | None = None


class AccountingTaxRateList(Contract):
    data: list[AccountingTaxRateResponse]
    next_pagination_token: str | None = None
    prev_pagination_token: str | None = None


AccountingTaxRateListResponse = AccountingTaxRateList

LedgerAccountStatus = Literal["Active", "Archived", "Pending", "Unknown"]
LedgerAccountType = Literal["Asset", "Equity", "Expense", "Income", "Liability", "Unknown"]


class LedgerAccountResponse(Contract):
    """A ledger account of the accounting system. `type` is required by the SDK too."""

    id: str
    currency: Currency | None = None
    current_balance: int | None = Field(None, description="Minor units.")
    description: str | None = None
    is_bank_account: bool
    name: str
    nominal_code: str | None = None
    status: LedgerAccountStatus
    subtype: str | None = None
    type: LedgerAccountType


class LedgerAccountList(Contract):
    data: list[LedgerAccountResponse]
    next_pagination_token: str | None = None
    prev_pagination_token: str | None = None


LedgerAccountListResponse = LedgerAccountList
