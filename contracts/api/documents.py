"""Read-through of documents in the accounting system: `/v1/accounting/receivables|payables`.

Amounts here are the accounting system's decimal major units (as the SDK types them, floats),
not ledgersync's minor units: they are the last pulled copy, shown as the system holds them.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from contracts.types import Contract


class OffsetListQuery(Contract):
    """Query of the read-through lists."""

    limit: int = Field(100, ge=1, le=250, description="Number of results per page.")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="Number of results to skip.")


class AccountingRefObject(Contract):
    id: str | None = None


class AccountingCustomerRefObject(Contract):
    id: str
    company_name: str | None = None


class AccountingVendorRefObject(Contract):
    id: str
    name: str | None = None


class AccountingPurchaseOrderRef(Contract):
    id: str
    name: str | None = None


class AccountingLineItem(Contract):
    """One document line as the accounting system holds it."""

    description: str | None = None
    discount_amount: float | None = None
    discount_percentage: float | None = None
    ledger_account_id: str | None = None
    quantity: float | None = None
    tax_rate_ref: AccountingRefObject | None = None
    unit_amount: float | None = None


class AccountingReceivable(Contract):
    """An invoice in the accounting system."""

    id: str | None = None
    currency: str | None = None
    currency_rate: float | None = None
    customer_ref: AccountingCustomerRefObject | None = None
    due_date: date | None = None
    invoice_number: str | None = None
    lines: list[AccountingLineItem] | None = None
    memo: str | None = None
    pass_through: dict[str, Any] | None = None
    posted_date: date | None = None


class AccountingReceivableList(Contract):
    data: list[AccountingReceivable]


AccountingPayableStatus = Literal["open", "draft", "partially_paid", "paid", "unknown", "void"]


class AccountingPayable(Contract):
    """A bill in the accounting system."""

    id: str
    amount_due: float | None = None
    currency: str | None = None
    currency_rate: float | None = None
    due_date: date | None = None
    invoice_number: str | None = None
    lines: list[AccountingLineItem] | None = None
    memo: str | None = None
    posted_date: date | None = None
    purchase_order_refs: list[AccountingPurchaseOrderRef] | None = None
    status: AccountingPayableStatus
    subtotal: float | None = None
    tax_amount: float | None = None
    total_amount: float
    vendor_ref: AccountingVendorRefObject | None = None


class AccountingPayableList(Contract):
    data: list[AccountingPayable]
