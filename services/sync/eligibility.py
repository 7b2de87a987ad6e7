"""Older documents stay out. Pure.

Seeds ``001_*``: "Monite does not push older invoices or bills to the entity's accounting software
during the initial synchronization" — the bookkeeper has them already, and pushing them makes
duplicates. A document issued before the connection was established is never pushed, and neither
is what only makes sense beside one: a credit note or a payment of such an invoice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

OLDER = "issued before the connection was established"
OLDER_INVOICE = "its invoice was issued before the connection was established and was never pushed"
NOT_RECEIVABLE = "only payments of receivables are pushed"


def older(issued: datetime | date | None, connected_at: datetime | None) -> bool:
    """Issued before the connection was established. A bare date (a bill's) is older only when
    it is before the connection's day (UTC): the same day cannot tell."""
    if issued is None or connected_at is None:
        return False
    if isinstance(issued, datetime):
        return issued < connected_at
    return issued < connected_at.astimezone(UTC).date()


@dataclass(frozen=True)
class Invoice:
    """The invoice a credit note or payment belongs to, as ledgersync knows it."""
    issued_at: datetime | None
    pushed: bool  # done on this connection


def skip_reason(kind: str, issued: datetime | date | None, connected_at: datetime | None, *,
                invoice: Invoice | None = None, paid_object: str | None = None) -> str | None:
    """Why this document is not pushed on this connection, or None when it is."""
    if kind == "payment_record" and paid_object != "receivable":
        return NOT_RECEIVABLE
    if kind in ("receivable", "bill", "credit_note") and older(issued, connected_at):
        return OLDER
    if kind in ("credit_note", "payment_record") and invoice is not None and not invoice.pushed \
            and older(invoice.issued_at, connected_at):
        return OLDER_INVOICE
    return None
