"""Railz push bodies (``{"connectionUuid", "data"}``'s ``data``) built from our contracts and the
resolved references (pure). Railz takes no document totals: the accounting system computes
them from the lines (NOTES §9.2), so invoices carry unit amounts, quantities and tax rates;
bills and credit notes also carry each line's tax, split so that it adds up to the event's."""
from __future__ import annotations

from decimal import Decimal

from services.providers.codat_bodies import _money, _split
from services.sync.prerequisites import Verdict

DATA_TYPES = {"customer": "customers", "vendor": "vendors", "receivable": "invoices",
              "credit_note": "invoiceCreditNotes", "payment_record": "invoicePayments", "bill": "bills"}  # Railz names
MAX_NUMBER = 21  # invoiceNumber and vendorInvoiceNumber: at most 21 characters


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def _sales_lines(doc: dict, v: Verdict, with_tax: bool) -> list[dict]:
    cur, lines = doc["currency"], doc["line_items"]
    rates = [t.rate if t else line["vat_rate_value"] for line, t in zip(lines, v.tax, strict=True)]
    split = _split(lines, rates, doc["subtotal"], doc["total_vat_amount"])
    out = []
    for line, tax, (_sub, vat) in zip(lines, v.tax, split, strict=True):
        item = {"description": line.get("name"), "quantity": float(line["quantity"]),
                "unitAmount": _money(line["unit_price"], cur)}
        if line.get("product_id") and str(line["product_id"]) in v.items:
            item["inventoryRef"] = {"id": v.items[str(line["product_id"])]}
        if tax:
            item["taxRateRef"] = {"id": tax.provider_id}
        if with_tax:
            item["taxAmount"] = _money(vat, cur)
        out.append(item)
    return out


def _clean(body: dict) -> dict:
    return {k: v for k, v in body.items() if v is not None}


def invoice(doc: dict, v: Verdict) -> dict:
    number = (doc.get("document_id") or "")[:MAX_NUMBER] or None
    return _clean({"invoiceNumber": number, "customerRef": {"id": v.counterpart_id},
                   "postedDate": _day(doc["issue_date"]), "dueDate": _day(doc.get("due_date")),
                   "currency": doc["currency"], "memo": doc.get("memo"), "lines": _sales_lines(doc, v, False)})


def credit_note(doc: dict, v: Verdict) -> dict:
    """Without a document number and not linked to its invoice (seed 001); the memo names it,
    so that a look-up can find it."""
    return _clean({"customerRef": {"id": v.counterpart_id}, "postedDate": _day(doc["issue_date"]),
                   "currency": doc["currency"], "memo": doc.get("memo") or f"ledgersync credit note {doc['id']}",
                   "lines": _sales_lines(doc, v, True)})


def bill(doc: dict, v: Verdict) -> dict:
    cur, lines = doc["currency"], doc["line_items"]
    rates = [(t.rate or 0) if t else 0 for t in v.tax]
    split = _split(lines, rates, doc["subtotal"], doc["total_vat_amount"])
    items = [{"description": line.get("name"), "quantity": float(line["quantity"]),
              "unitAmount": _money(line["unit_price"], cur), "taxAmount": _money(vat, cur),
              "accountRef": {"id": account}, "taxRateRef": {"id": tax.provider_id}}
             for line, tax, account, (_sub, vat) in zip(lines, v.tax, v.accounts, split, strict=True)]
    number = (doc.get("document_id") or "")[:MAX_NUMBER] or None
    return _clean({"vendorInvoiceNumber": number, "vendorRef": {"id": v.counterpart_id},
                   "postedDate": _day(doc["issued_at"]), "dueDate": _day(doc.get("due_date")),
                   "currency": cur, "memo": doc.get("memo"), "lines": items})


def payment(doc: dict, v: Verdict, invoice_id: str) -> dict:
    amount = _money(doc["amount"], doc["currency"])
    return {"customerRef": {"id": v.counterpart_id}, "accountRef": {"id": v.accounts[0]},
            "currency": doc["currency"], "date": _day(doc["paid_at"]), "totalAmount": amount,
            "memo": f"ledgersync payment {doc['id']}",
            "lines": [{"amount": amount, "links": [{"type": "invoice", "id": invoice_id}]}]}


def contact(counterpart: dict, role: str) -> dict:
    """A counterpart as a Railz customer or vendor."""
    address = {k: v for k, v in (("line1", counterpart.get("line1")), ("line2", counterpart.get("line2")),
                                 ("city", counterpart.get("city")), ("country", counterpart.get("country")),
                                 ("postalCode", counterpart.get("postal_code"))) if v}
    body = {"customerName" if role == "customer" else "vendorName": counterpart["name"]}
    if address:
        body["billingAddress"] = address
    if counterpart.get("email"):
        body["emailAddress"] = counterpart["email"]
    return body


def natural_key(data_type: str, body: dict) -> dict:
    """What finds the record a push of ``body`` created: field → value, compared on reads."""
    if data_type in ("customers", "vendors"):
        name = "customerName" if data_type == "customers" else "vendorName"
        return {name: body.get(name)}
    party = "vendorRef" if data_type == "bills" else "customerRef"
    key = {f"{party}.id": (body.get(party) or {}).get("id")}
    for number in ("invoiceNumber", "vendorInvoiceNumber"):
        if body.get(number):
            key[number] = body[number]
    if data_type in ("invoiceCreditNotes", "invoicePayments") or not any(k.endswith("Number") for k in key):
        key["memo"] = body.get("memo")
    return key


def net_amount(body: dict) -> Decimal | None:
    """A body's amount before tax (what ``subTotal`` reads back as); a payment's total."""
    priced = [x for x in body.get("lines") or [] if isinstance(x, dict) and x.get("unitAmount") is not None]
    if priced:
        return sum((Decimal(str(x["unitAmount"])) * Decimal(str(x.get("quantity", 1)))
                    - Decimal(str(x.get("discountAmount") or 0)) for x in priced), Decimal(0))
    return Decimal(str(body["totalAmount"])) if body.get("totalAmount") is not None else None


def matches(record: dict, key: dict, net: Decimal | None = None, tolerance: Decimal = Decimal("0.02")) -> bool:
    """Whether a read record carries the natural key and, when ``net`` is given, that amount
    before tax (``subTotal``; a payment's ``totalAmount``) within ``tolerance``."""
    for field, wanted in key.items():
        value: object = record
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if wanted is not None and (str(value).strip().casefold() if isinstance(value, str) else value) != (
                wanted.strip().casefold() if isinstance(wanted, str) else wanted):
            return False
    amount = record.get("subTotal", record.get("totalAmount"))
    if net is not None and amount is not None:
        return abs(Decimal(str(amount)) - net) <= tolerance
    return True
