"""Domain events in: data models of the CloudEvents upstream services publish on `domain.events`.

Every `data` is a full snapshot of the object after the change. Readers are tolerant: unknown
fields are ignored, a missing or malformed required field fails. Money is integer minor units
(floats and strings are rejected), tax rates are percent in minor units (19% = 1900), quantities
may be decimal. Required: ids, `updated_at`, money totals and what a push cannot do without;
optional: descriptive fields (whose absence is a business problem reported on the synced
record, not a broken contract).
"""
from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.api.settings import AccountingSettings
from contracts.types import Contract, CountryCode, Currency, DateOnly, Money, NonEmptyStr, Percent, UtcDatetime


class EntitySettings(Contract):
    accounting: AccountingSettings | None = None


class EntityData(Contract):
    """`entity.created` / `entity.updated`. Required: `id` (equal to the envelope's
    `entityid`), `partner_id`, `name`, `updated_at`. `base_currency` and
    `settings` are optional (absent settings mean "none configured")."""

    id: UUID
    partner_id: UUID
    name: NonEmptyStr
    base_currency: Currency | None = None
    settings: EntitySettings | None = None
    updated_at: UtcDatetime


class Address(Contract):
    """All optional: matching uses what is there (country, then city, then address)."""

    country: CountryCode | None = None
    city: str | None = None
    postal_code: str | None = None
    line1: str | None = None
    line2: str | None = None


class CounterpartData(Contract):
    """`counterpart.created` / `counterpart.updated`. Required: `id`, `type`, `name`
    (matching and pushing need it), `is_customer`, `is_vendor` (they decide which synced
    records exist), `updated_at`. Optional: `email`, `address`."""

    id: UUID
    type: Literal["organization", "individual"]
    name: NonEmptyStr
    is_customer: bool
    is_vendor: bool
    email: str | None = None
    address: Address | None = None
    updated_at: UtcDatetime


class Price(Contract):
    value: Money
    currency: Currency


class ProductData(Contract):
    """`product.created` / `product.updated` (mirrored, never pushed). Required: `id`,
    `name`, `updated_at`; the rest is optional."""

    id: UUID
    name: NonEmptyStr
    type: Literal["product", "service"] | None = None
    price: Price | None = None
    measure_unit: str | None = None
    ledger_account_id: str | None = None
    updated_at: UtcDatetime


class ReceivableLineItem(Contract):
    """Required: `product_id`, `name`, `quantity`, `unit_price`, `vat_rate_value`
    (tax rates are matched by value). Optional: `vat_rate_id`, `ledger_account_id`."""

    product_id: UUID
    name: NonEmptyStr
    quantity: float = Field(description="May be decimal (1.5 hours).")
    unit_price: Money
    vat_rate_value: Percent
    vat_rate_id: str | None = None
    ledger_account_id: str | None = None


class ReceivableData(Contract):
    """`receivable.issued`: an issued invoice. Required: ids, `document_id` (the invoice
    number), `counterpart_id`, `currency`, `issue_date`, `issued_at` (pushed only if after
    the connection was established), at least one line, the three totals, `updated_at`.
    Optional: `due_date`, `memo`."""

    id: UUID
    document_id: NonEmptyStr
    counterpart_id: UUID
    currency: Currency
    issue_date: DateOnly
    due_date: DateOnly | None = None
    issued_at: UtcDatetime
    line_items: list[ReceivableLineItem] = Field(min_length=1)
    subtotal: Money
    total_vat_amount: Money
    total_amount: Money
    memo: str | None = None
    updated_at: UtcDatetime


class CreditNoteData(ReceivableData):
    """`credit_note.issued`: as a receivable, plus `based_on` (required: the invoice id).
    Pushed without a document number and unlinked from the invoice."""

    based_on: UUID


class PaymentObject(Contract):
    type: Literal["receivable", "payable"]
    id: UUID


class PaymentRecordData(Contract):
    """`payment_record.created`. Required: `id`, `object`, `amount` (> 0),
    `currency`, `paid_at`. Optional: `updated_at` (payment records do not change)."""

    id: UUID
    object: PaymentObject
    amount: Money = Field(gt=0)
    currency: Currency
    paid_at: UtcDatetime
    updated_at: UtcDatetime | None = None


class PayableLineItem(Contract):
    """Required: `quantity`, `unit_price`. `name`, `tax_rate_ref_id` and
    `ledger_account_id` are optional here: the push checks them and records what is missing."""

    name: str | None = None
    quantity: float = Field(description="May be decimal.")
    unit_price: Money
    tax_rate_ref_id: str | None = None
    ledger_account_id: str | None = None


class PayableData(Contract):
    """`payable.issued` / `payable.canceled`: a bill. Required: `id`, `currency`,
    `issued_at` (the bill's date), `status`, the three totals, `updated_at`. Optional:
    `document_id`, `counterpart_id`, `due_date` and `line_items` (default empty), whose
    absence the push reports as an error on the synced record."""

    id: UUID
    document_id: str | None = None
    counterpart_id: UUID | None = None
    currency: Currency
    issued_at: DateOnly = Field(description="The bill's issue date.")
    due_date: DateOnly | None = None
    status: NonEmptyStr = Field(examples=["waiting_to_be_paid", "canceled"])
    line_items: list[PayableLineItem] = Field(default_factory=list)
    subtotal: Money
    total_vat_amount: Money
    total_amount: Money
    updated_at: UtcDatetime


DOMAIN_EVENT_TYPES: dict[str, type[BaseModel]] = {
    "entity.created": EntityData,
    "entity.updated": EntityData,
    "counterpart.created": CounterpartData,
    "counterpart.updated": CounterpartData,
    "product.created": ProductData,
    "product.updated": ProductData,
    "receivable.issued": ReceivableData,
    "credit_note.issued": CreditNoteData,
    "payment_record.created": PaymentRecordData,
    "payable.issued": PayableData,
    "payable.canceled": PayableData,
}
"""Every domain event type ledgersync consumes → its `data` model."""
