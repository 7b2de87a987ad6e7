"""Before a document is pushed (seed 002): its counterpart is mapped (or can be created first),
every product is mapped, every tax rate exists with the same value. Pure; table-tested."""
from __future__ import annotations

from dataclasses import dataclass, field

from services.sync import record_errors
from services.sync.record_errors import SyncError


@dataclass(frozen=True)
class Mapping:
    """The synced record of a dependency: None status means there is none."""
    status: str | None = None
    provider_id: str | None = None
    errors: dict | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class TaxRate:
    provider_id: str
    name: str
    rate: int | None          # percent in minor units
    status: str | None = "Active"


@dataclass(frozen=True)
class Party:
    name: str
    mapping: Mapping


@dataclass
class Verdict:
    errors: list[SyncError] = field(default_factory=list)
    create_counterpart: bool = False   # push the counterpart first, then this document
    wait_for: str | None = None        # record id of a dependency still in flight
    counterpart_id: str | None = None
    items: dict[str, str] = field(default_factory=dict)        # product id → item id
    tax: list[TaxRate | None] = field(default_factory=list)    # per line
    accounts: list[str | None] = field(default_factory=list)   # per line (bills)

    @property
    def ready(self) -> bool:
        return not self.errors and not self.create_counterpart and self.wait_for is None


def check_counterpart(v: Verdict, party: Party | None, counterpart_id: str | None, role: str,
                      system: str) -> None:
    if party is None:
        v.errors.append(record_errors.counterpart_unknown(counterpart_id or "(none)", system))
        return
    m = party.mapping
    if m.status == "done" and m.provider_id:
        v.counterpart_id = m.provider_id
    elif m.status == "pending":
        v.wait_for = m.record_id
    elif m.status == "error":
        why = (m.errors or {}).get("message", "")
        v.errors.append(record_errors.counterpart_not_mapped(party.name, role, system, why))
    else:
        v.create_counterpart = True


def pick_tax_rate(rates: list[TaxRate], value: int, by_id: dict[str, TaxRate], rate_id: str | None) -> TaxRate | None:
    """The rate named by id when its value agrees, else an active rate of exactly that value."""
    named = by_id.get(rate_id) if rate_id else None
    if named is not None and named.rate == value and named.status != "Archived":
        return named
    same = sorted((r for r in rates if r.rate == value and r.status != "Archived"), key=lambda r: r.name)
    return same[0] if same else None


def check_sales_document(*, lines: list[dict], party: Party | None, counterpart_id: str | None,
                         products: dict[str, tuple[str, Mapping]], rates: list[TaxRate],
                         rates_by_id: dict[str, TaxRate], system: str) -> Verdict:
    """Invoices and credit notes."""
    v = Verdict()
    check_counterpart(v, party, counterpart_id, "customer", system)
    for line in lines:
        pid = line.get("product_id")
        if pid:
            name, m = products.get(str(pid), (line.get("name") or str(pid), Mapping()))
            if m.status == "done" and m.provider_id:
                v.items[str(pid)] = m.provider_id
            elif m.status == "error":
                v.errors.append(record_errors.product_ambiguous(name, str(pid), system))
            else:
                v.errors.append(record_errors.product_not_mapped(name, str(pid), system))
        rate = pick_tax_rate(rates, line["vat_rate_value"], rates_by_id, line.get("vat_rate_id"))
        if rate is None:
            v.errors.append(record_errors.tax_rate_not_found(line["vat_rate_value"], system, line.get("name") or ""))
        v.tax.append(rate)
    return v


def check_bill(*, lines: list[dict], party: Party | None, counterpart_id: str | None,
               rates_by_id: dict[str, TaxRate], accounts: dict[str, str], system: str) -> Verdict:
    """Bills: tax_rate_ref_id, ledger_account_id and line_items must be there and resolve."""
    v = Verdict()
    check_counterpart(v, party, counterpart_id, "vendor", system)
    if not lines:
        v.errors.append(record_errors.SyncError("bill_has_no_line_items", "The bill has no line items",
                                    "Add at least one line item to the bill, then push again"))
    for line in lines:
        label = line.get("name") or "(unnamed)"
        tax_id, account_id = line.get("tax_rate_ref_id"), line.get("ledger_account_id")
        if not tax_id:
            v.errors.append(record_errors.bill_line("tax_rate_ref_missing", label, "tax_rate_ref_id is missing",
                                                    "Set tax_rate_ref_id to an id of GET /v1/accounting_tax_rates"))
        elif tax_id not in rates_by_id:
            v.errors.append(record_errors.bill_line("tax_rate_not_found", label,
                                                    f"tax rate {tax_id} does not exist in {system}",
                                                    "Use an id of GET /v1/accounting_tax_rates, sync, then push again"))
        if not account_id:
            v.errors.append(record_errors.bill_line("ledger_account_missing", label, "ledger_account_id is missing",
                                                    "Set ledger_account_id to an id of GET /v1/ledger_accounts"))
        elif account_id not in accounts:
            v.errors.append(record_errors.bill_line("ledger_account_not_found", label,
                                                    f"ledger account {account_id} does not exist in {system}",
                                                    "Use an id of GET /v1/ledger_accounts, sync, then push again"))
        v.tax.append(rates_by_id.get(tax_id) if tax_id else None)
        v.accounts.append(accounts.get(account_id) if account_id else None)
    return v


def check_payment(*, invoice: Mapping, payments_account: str | None, accounts: dict[str, str],
                  party: Party | None, counterpart_id: str | None, system: str) -> Verdict:
    v = Verdict()
    if not payments_account:
        v.errors.append(record_errors.missing_setting("settings.accounting.ledger_account_ids.payments", system))
    elif payments_account not in accounts:
        v.errors.append(record_errors.SyncError("ledger_account_not_found",
                                    f"Payments ledger account {payments_account} does not exist in {system}",
                                    "Set settings.accounting.ledger_account_ids.payments to an id of "
                                    "GET /v1/ledger_accounts, then push again"))
    else:
        v.accounts.append(accounts[payments_account])
    if invoice.status == "done" and invoice.provider_id:
        pass
    elif invoice.status == "pending":
        v.wait_for = invoice.record_id
    else:
        v.errors.append(record_errors.SyncError("invoice_not_pushed", f"The paid invoice is not in {system}",
                                    "Push the invoice first (see its synced record), then push this payment"))
    check_counterpart(v, party, counterpart_id, "customer", system)
    return v
