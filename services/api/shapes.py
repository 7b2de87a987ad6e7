"""Pulled provider records (Codat shapes) → API shapes of the reference (pure)."""
from __future__ import annotations

from services.pull.store import record_id
from services.sync.money import percent_to_minor, to_minor

ACCOUNT_TYPES = {"Asset", "Equity", "Expense", "Income", "Liability", "Unknown"}
ACCOUNT_STATUSES = {"Active", "Archived", "Pending", "Unknown"}
PAYABLE_STATUSES = {"Open": "open", "Draft": "draft", "PartiallyPaid": "partially_paid", "Paid": "paid",
                    "Void": "void"}


def tax_rate(row) -> dict:
    d = row["data"]
    return {"id": str(row["id"]), "code": d.get("code"), "name": d.get("name"), "status": d.get("status"),
            "effective_tax_rate": percent_to_minor(d.get("effectiveTaxRate")),
            "total_tax_rate": percent_to_minor(d.get("totalTaxRate")),
            "components": [{"name": c.get("name"), "rate": percent_to_minor(c.get("rate")),
                            "is_compound": bool(c.get("isCompound"))} for c in d.get("components") or []]}


def ledger_account(row) -> dict:
    d = row["data"]
    return {"id": str(row["id"]), "name": d.get("name") or d.get("nominalCode") or row["provider_id"],
            "nominal_code": d.get("nominalCode"), "description": d.get("description"),
            "currency": d.get("currency"), "current_balance": to_minor(d.get("currentBalance"), d.get("currency")),
            "is_bank_account": bool(d.get("isBankAccount")),
            "status": d.get("status") if d.get("status") in ACCOUNT_STATUSES else "Unknown",
            "type": d.get("type") if d.get("type") in ACCOUNT_TYPES else "Unknown",
            "subtype": d.get("fullyQualifiedCategory")}


def _lines(row, lines: list[dict] | None) -> list[dict]:
    out = []
    for line in lines or []:
        account = (line.get("accountRef") or {}).get("id")
        tax = (line.get("taxRateRef") or {}).get("id")
        out.append({"description": line.get("description"), "quantity": line.get("quantity"),
                    "unit_amount": line.get("unitAmount"), "discount_amount": line.get("discountAmount"),
                    "discount_percentage": line.get("discountPercentage"),
                    "ledger_account_id": str(record_id(row["connection_id"], "accounts", account)) if account else None,
                    "tax_rate_ref": {"id": str(record_id(row["connection_id"], "taxRates", tax))} if tax else None})
    return out


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


def receivable(row) -> dict:
    d = row["data"]
    customer = d.get("customerRef") or {}
    return {"id": row["provider_id"], "currency": d.get("currency"), "currency_rate": d.get("currencyRate"),
            "customer_ref": {"id": customer["id"], "company_name": customer.get("companyName")}
            if customer.get("id") else None,
            "due_date": _date(d.get("dueDate")), "invoice_number": d.get("invoiceNumber"),
            "lines": _lines(row, d.get("lineItems")), "memo": d.get("note"),
            "posted_date": _date(d.get("issueDate")), "pass_through": None}


def payable(row) -> dict:
    d = row["data"]
    supplier = d.get("supplierRef") or {}
    return {"id": row["provider_id"], "amount_due": d.get("amountDue"), "currency": d.get("currency"),
            "currency_rate": d.get("currencyRate"), "due_date": _date(d.get("dueDate")),
            "invoice_number": d.get("reference"), "lines": _lines(row, d.get("lineItems")),
            "memo": d.get("note"), "posted_date": _date(d.get("issueDate")),
            "purchase_order_refs": [{"id": r["id"], "name": r.get("name")} for r in d.get("purchaseOrderRefs") or []
                                    if r.get("id")],
            "status": PAYABLE_STATUSES.get(d.get("status"), "unknown"), "subtotal": d.get("subTotal"),
            "tax_amount": d.get("taxAmount"), "total_amount": d.get("totalAmount") or 0,
            "vendor_ref": {"id": supplier["id"], "name": supplier.get("supplierName")} if supplier.get("id") else None}
