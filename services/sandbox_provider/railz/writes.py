"""Railz push bodies as the shared ledger's records (Codat's shape), so that the sandbox's one
validation (references, totals, duplicates, platform name rules) judges both surfaces. Railz
takes no totals: like an accounting system, the sandbox computes them from the lines. Pure."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

# Railz push path (under /v2/accounting/) → (the ledger's dataset, Railz dataType name)
PUSH_PATHS: dict[str, tuple[str, str]] = {
    "customers": ("customers", "customers"), "vendors": ("suppliers", "vendors"),
    "invoices": ("invoices", "invoices"), "invoices/creditNotes": ("creditNotes", "invoiceCreditNotes"),
    "invoices/payments": ("payments", "invoicePayments"), "bills": ("bills", "bills"),
}
# Body fields Railz requires (its DTOs' ``required``); missing ones are refused at once (400)
REQUIRED = {"invoices": ("customerRef", "lines"), "invoices/creditNotes": ("customerRef", "lines"),
            "bills": ("vendorRef", "lines")}
CENT = Decimal("0.01")
# The ledger's (Codat) words in validation messages → Railz's
_WORDS = {"lineItems": "lines", "supplierRef": "vendorRef", "issueDate": "postedDate", "itemRef": "inventoryRef",
          "supplierName": "vendorName", "note": "memo", "reference": "vendorInvoiceNumber",
          "creditNoteNumber": "invoiceCreditNoteNumber", "Supplier": "Vendor", "totalTaxAmount": "taxAmount",
          "defaultCurrency": "currency", "Item": "Inventory item"}
_WORD = re.compile(r"\b(" + "|".join(map(re.escape, _WORDS)) + r")\b")


def railz_words(text: str) -> str:
    return _WORD.sub(lambda m: _WORDS[m.group(1)], text or "")


def _day(value: object) -> object:
    return f"{value[:10]}T00:00:00" if isinstance(value, str) and value else value


def _num(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return Decimal(str(value))


def _money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _contact(data: dict, name_field: str, theirs: str) -> dict:
    address = data.get("billingAddress") if isinstance(data.get("billingAddress"), dict) else None
    record = {name_field: data.get(theirs), "status": "Active",
              "addresses": [{"type": "Billing", **{k: v for k, v in address.items() if k != "type"}}]
              if address else []}
    for ours, field in (("emailAddress", "emailAddress"), ("contactName", "contactName"), ("phone", "phone"),
                        ("taxNumber", "taxNumber"), ("defaultCurrency", "currency")):
        if data.get(field) is not None:
            record[ours] = data[field]
    return record


def _line(line: object, tax_rates: dict[str, dict]) -> object:
    if not isinstance(line, dict):
        return line
    unit, qty = _num(line.get("unitAmount")), _num(line.get("quantity"))
    out = {"description": line.get("description"), "unitAmount": line.get("unitAmount"),
           "quantity": line.get("quantity"), "discountAmount": line.get("discountAmount") or 0.0}
    for ours, theirs in (("accountRef", "accountRef"), ("taxRateRef", "taxRateRef"), ("itemRef", "inventoryRef")):
        if line.get(theirs) is not None:
            out[ours] = line[theirs]
    if unit is None or qty is None:
        return out
    sub = unit * qty - (_num(line.get("discountAmount")) or Decimal(0))
    rate = tax_rates.get(str((line.get("taxRateRef") or {}).get("id") if isinstance(line.get("taxRateRef"), dict)
                             else ""), {})
    given = _num(line.get("taxAmount"))
    tax = given if given is not None else (sub * Decimal(str(rate.get("effectiveTaxRate") or 0)) / 100)
    out.update(subTotal=_money(sub), taxAmount=_money(tax), totalAmount=_money(sub) + _money(tax))
    return out


def _document(data: dict, tax_rates: dict[str, dict], *, number: str, theirs: str, party: str,
              their_party: str, tax_field: str, status: str) -> dict:
    lines = [_line(line, tax_rates) for line in data.get("lines") or []] \
        if isinstance(data.get("lines"), list) else data.get("lines")
    record = {number: data.get(theirs), party: data.get(their_party), "issueDate": _day(data.get("postedDate")),
              "dueDate": _day(data.get("dueDate")), "currency": data.get("currency"),
              "note": data.get("memo"), "status": status, "lineItems": lines}
    if isinstance(lines, list) and all(isinstance(x, dict) and "subTotal" in x for x in lines):
        sub = sum((Decimal(str(x["subTotal"])) for x in lines), Decimal(0))
        tax = sum((Decimal(str(x["taxAmount"])) for x in lines), Decimal(0))
        record.update({"subTotal": _money(sub), tax_field: _money(tax), "totalAmount": _money(sub + tax)})
    return {k: v for k, v in record.items() if v is not None}


def _payment(data: dict) -> dict:
    lines = []
    for line in data.get("lines") or []:
        if isinstance(line, dict):
            links = [{"type": "Invoice" if link.get("type") == "invoice" else str(link.get("type")),
                      "id": link.get("id"), "amount": -(line.get("amount") or 0)}
                     for link in line.get("links") or [] if isinstance(link, dict)]
            lines.append({"amount": line.get("amount"), "links": links})
    record = {"customerRef": data.get("customerRef"), "accountRef": data.get("accountRef"),
              "date": _day(data.get("date")), "currency": data.get("currency"), "note": data.get("memo"),
              "totalAmount": data.get("totalAmount"), "lines": lines}
    return {k: v for k, v in record.items() if v is not None}


def to_ledger(path: str, data: dict, tax_rates: dict[str, dict]) -> dict:
    """The ledger record a Railz push body describes (``path`` is a key of ``PUSH_PATHS``)."""
    if path == "customers":
        return _contact(data, "customerName", "customerName")
    if path == "vendors":
        return _contact(data, "supplierName", "vendorName")
    if path == "invoices":
        record = _document(data, tax_rates, number="invoiceNumber", theirs="invoiceNumber", party="customerRef",
                           their_party="customerRef", tax_field="totalTaxAmount", status="Submitted")
        return {**record, "amountDue": record.get("totalAmount", 0.0)}
    if path == "invoices/creditNotes":
        record = _document(data, tax_rates, number="creditNoteNumber", theirs="invoiceCreditNoteNumber",
                           party="customerRef", their_party="customerRef", tax_field="totalTaxAmount",
                           status="Submitted")
        return {**record, "totalDiscount": 0.0, "discountPercentage": 0.0,
                "remainingCredit": record.get("totalAmount", 0.0)}
    if path == "invoices/payments":
        return _payment(data)
    record = _document(data, tax_rates, number="reference", theirs="vendorInvoiceNumber", party="supplierRef",
                       their_party="vendorRef", tax_field="taxAmount", status="Open")
    return {**record, "amountDue": record.get("totalAmount", 0.0)}
