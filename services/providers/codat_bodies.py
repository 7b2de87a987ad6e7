"""Codat request bodies for pushed documents, built from our contracts and the resolved
references (pure). Money stays integer minor units until the last step; lines are rounded
per line and the last line absorbs the rounding, so totals equal the event's to the cent."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from services.sync.money import TotalsMismatch, to_major
from services.sync.prerequisites import Verdict

DATA_TYPE_OF_KIND = {"customer": "customers", "vendor": "suppliers", "receivable": "invoices",
                     "credit_note": "creditNotes", "payment_record": "payments", "bill": "bills"}

def _money(minor: int, currency: str) -> float:
    return float(to_major(minor, currency))


def _day(value: str | None) -> str | None:
    return f"{value[:10]}T00:00:00" if value else None


def _split(lines: list[dict], rates: list[int], subtotal: int, tax_total: int) -> list[tuple[int, int]]:
    """(subtotal, tax) per line in minor units, summing exactly to the document's totals."""
    parts = []
    for line, rate in zip(lines, rates, strict=True):
        sub = int((Decimal(line["unit_price"]) * Decimal(str(line["quantity"]))).quantize(
            Decimal(1), rounding=ROUND_HALF_UP))
        parts.append([sub, int((Decimal(sub) * rate / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))])
    if not parts:
        return []
    sub_gap = subtotal - sum(p[0] for p in parts)
    tax_gap = tax_total - sum(p[1] for p in parts)
    if abs(sub_gap) > len(parts) or abs(tax_gap) > len(parts):
        raise TotalsMismatch(f"lines add up to {sum(p[0] for p in parts)} + {sum(p[1] for p in parts)}, "
                             f"the document says {subtotal} + {tax_total}")
    parts[-1][0] += sub_gap
    parts[-1][1] += tax_gap
    return [(s, t) for s, t in parts]


def _sales_lines(doc: dict, v: Verdict) -> tuple[list[dict], int, int]:
    cur, lines = doc["currency"], doc["line_items"]
    rates = [t.rate if t else line["vat_rate_value"] for line, t in zip(lines, v.tax, strict=True)]
    split = _split(lines, rates, doc["subtotal"], doc["total_vat_amount"])
    out = []
    for line, tax, (sub, vat) in zip(lines, v.tax, split, strict=True):
        item = {"description": line.get("name"), "quantity": float(line["quantity"]),
                "unitAmount": _money(line["unit_price"], cur), "subTotal": _money(sub, cur),
                "taxAmount": _money(vat, cur), "totalAmount": _money(sub + vat, cur)}
        if line.get("product_id") and str(line["product_id"]) in v.items:
            item["itemRef"] = {"id": v.items[str(line["product_id"])]}
        if tax:
            item["taxRateRef"] = {"id": tax.provider_id, "name": tax.name}
        out.append(item)
    return out, sum(s for s, _ in split), sum(t for _, t in split)


def invoice(doc: dict, v: Verdict) -> dict:
    cur = doc["currency"]
    lines, sub, vat = _sales_lines(doc, v)
    return {"invoiceNumber": doc.get("document_id"), "customerRef": {"id": v.counterpart_id},
            "issueDate": _day(doc["issue_date"]), "dueDate": _day(doc.get("due_date")), "currency": cur,
            "note": doc.get("memo"), "status": "Submitted", "lineItems": lines,
            "subTotal": _money(sub, cur), "totalTaxAmount": _money(vat, cur), "totalDiscount": 0.0,
            "totalAmount": _money(doc["total_amount"], cur), "amountDue": _money(doc["total_amount"], cur)}


def credit_note(doc: dict, v: Verdict) -> dict:
    """Without a document number and not linked to its invoice (seed 001)."""
    cur = doc["currency"]
    lines, sub, vat = _sales_lines(doc, v)
    total = _money(doc["total_amount"], cur)
    return {"customerRef": {"id": v.counterpart_id}, "issueDate": _day(doc["issue_date"]), "currency": cur,
            "note": doc.get("memo") or f"ledgersync credit note {doc['id']}", "status": "Submitted",
            "lineItems": lines, "subTotal": _money(sub, cur), "totalTaxAmount": _money(vat, cur),
            "totalAmount": total, "totalDiscount": 0.0, "discountPercentage": 0.0, "remainingCredit": total}


def bill(doc: dict, v: Verdict) -> dict:
    cur, lines = doc["currency"], doc["line_items"]
    rates = [(t.rate or 0) if t else 0 for t in v.tax]
    split = _split(lines, rates, doc["subtotal"], doc["total_vat_amount"])
    items = []
    for line, tax, account, (sub, vat) in zip(lines, v.tax, v.accounts, split, strict=True):
        items.append({"description": line.get("name"), "quantity": float(line["quantity"]),
                      "unitAmount": _money(line["unit_price"], cur), "subTotal": _money(sub, cur),
                      "taxAmount": _money(vat, cur), "totalAmount": _money(sub + vat, cur),
                      "accountRef": {"id": account}, "taxRateRef": {"id": tax.provider_id, "name": tax.name}})
    total = _money(doc["total_amount"], cur)
    return {"reference": doc.get("document_id"), "supplierRef": {"id": v.counterpart_id},
            "issueDate": _day(doc["issued_at"]), "dueDate": _day(doc.get("due_date")), "currency": cur,
            "status": "Void" if doc.get("status") == "canceled" else "Open", "lineItems": items,
            "subTotal": _money(sum(s for s, _ in split), cur), "taxAmount": _money(sum(t for _, t in split), cur),
            "totalAmount": total, "amountDue": 0.0 if doc.get("status") == "canceled" else total}


def payment(doc: dict, v: Verdict, invoice_id: str) -> dict:
    cur, amount = doc["currency"], _money(doc["amount"], doc["currency"])
    return {"customerRef": {"id": v.counterpart_id}, "accountRef": {"id": v.accounts[0]}, "currency": cur,
            "date": _day(doc["paid_at"]), "totalAmount": amount, "note": f"ledgersync payment {doc['id']}",
            "lines": [{"amount": amount, "links": [{"type": "Invoice", "id": invoice_id, "amount": -amount}]}]}


def contact(counterpart: dict, role: str) -> dict:
    """A counterpart as a Codat customer or supplier."""
    address = {k: v for k, v in (("line1", counterpart.get("line1")), ("line2", counterpart.get("line2")),
                                 ("city", counterpart.get("city")), ("country", counterpart.get("country")),
                                 ("postalCode", counterpart.get("postal_code"))) if v}
    name_field = "customerName" if role == "customer" else "supplierName"
    body = {name_field: counterpart["name"], "status": "Active",
            "addresses": [{"type": "Billing", **address}] if address else []}
    if counterpart.get("email"):
        body["emailAddress"] = counterpart["email"]
    return body


def lookup_query(object_type: str, body: dict) -> str | None:
    """A Codat query that finds this document if an earlier, unanswered push created it."""
    for field in ("invoiceNumber", "reference", "customerName", "supplierName"):
        if body.get(field):
            return f'{field}="{body[field]}"'
    if body.get("note") and object_type in ("credit_note", "payment_record"):
        return f'note="{body["note"]}"'
    return None


def write_body(kind: str, data: dict, verdict: Verdict | None, invoice_id: str | None) -> dict:
    """The body of one write of ``kind`` (see ``ProviderAdapter.write_body``)."""
    if kind in ("customer", "vendor"):
        return contact(data, kind)
    if kind == "payment_record":
        return payment(data, verdict, invoice_id)
    return {"receivable": invoice, "credit_note": credit_note, "bill": bill}[kind](data, verdict)
