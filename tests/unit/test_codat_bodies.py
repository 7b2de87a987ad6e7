"""Pushed bodies: integer minor units in, Codat decimals out, totals equal to the cent."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from services.providers import codat_bodies as bodies
from services.sync.money import TotalsMismatch
from services.sync.prerequisites import TaxRate, Verdict


def _doc(lines, currency="EUR"):
    subtotal = sum(round(unit * qty) for _, qty, unit, _ in lines)
    vat = sum(round(round(unit * qty) * rate / 10000) for _, qty, unit, rate in lines)
    return {"id": "i1", "document_id": "INV-1", "currency": currency, "issue_date": "2026-11-22",
            "due_date": "2026-12-22", "memo": "m", "subtotal": subtotal, "total_vat_amount": vat,
            "total_amount": subtotal + vat,
            "line_items": [{"product_id": pid, "name": pid, "quantity": qty, "unit_price": unit, "vat_rate_value": rate}
                           for pid, qty, unit, rate in lines]}


def _verdict(doc):
    rates = [TaxRate(f"t{line['vat_rate_value']}", "r", line["vat_rate_value"]) for line in doc["line_items"]]
    return Verdict(counterpart_id="cust", items={line["product_id"]: "item" for line in doc["line_items"]}, tax=rates)


def cents(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def test_invoice_totals_equal_the_event_to_the_cent_for_random_documents():
    rng = random.Random(11)
    for _ in range(500):
        lines = [(f"p{i}", rng.choice([1, 2, 3, 0.5, 1.25]), rng.randint(1, 999_999), rng.choice([0, 700, 1900, 2000]))
                 for i in range(rng.randint(1, 6))]
        doc = _doc(lines)
        body = bodies.invoice(doc, _verdict(doc))
        assert cents(body["totalAmount"]) == doc["total_amount"]
        assert cents(body["totalTaxAmount"]) == doc["total_vat_amount"]
        assert cents(body["subTotal"]) == doc["subtotal"]
        assert sum(cents(li["subTotal"]) for li in body["lineItems"]) == doc["subtotal"]
        assert sum(cents(li["taxAmount"]) for li in body["lineItems"]) == doc["total_vat_amount"]
        for li in body["lineItems"]:
            assert cents(li["totalAmount"]) == cents(li["subTotal"]) + cents(li["taxAmount"])


def test_rounding_differences_are_absorbed_by_the_last_line():
    doc = _doc([("a", 1, 333, 1900), ("b", 1, 333, 1900), ("c", 1, 334, 1900)])
    doc["total_vat_amount"] += 1  # upstream rounded the total, not per line
    doc["total_amount"] += 1
    body = bodies.invoice(doc, _verdict(doc))
    assert cents(body["totalTaxAmount"]) == doc["total_vat_amount"]
    assert [cents(li["taxAmount"]) for li in body["lineItems"]] == [63, 63, 64]


def test_totals_that_cannot_add_up_are_refused():
    doc = _doc([("a", 1, 1000, 1900)])
    doc["subtotal"] += 500
    with pytest.raises(TotalsMismatch):
        bodies.invoice(doc, _verdict(doc))


def test_credit_notes_have_no_number_and_no_link():
    doc = {**_doc([("a", 1, 1000, 1900)]), "based_on": "inv-9"}
    body = bodies.credit_note(doc, _verdict(doc))
    assert "creditNoteNumber" not in body and "paymentAllocations" not in body
    assert body["remainingCredit"] == body["totalAmount"] == 11.9


def test_zero_decimal_currencies():
    doc = _doc([("a", 2, 1500, 1000)], currency="JPY")
    body = bodies.invoice(doc, _verdict(doc))
    assert body["totalAmount"] == 3300.0 and body["lineItems"][0]["unitAmount"] == 1500.0


def test_contacts_and_lookups():
    cp = {"name": "Acme", "email": "a@x", "country": "DE", "city": "Berlin", "line1": "Str. 1", "postal_code": "10115"}
    assert bodies.contact(cp, "customer") == {"customerName": "Acme", "status": "Active", "emailAddress": "a@x",
                                              "addresses": [{"type": "Billing", "line1": "Str. 1", "city": "Berlin",
                                                             "country": "DE", "postalCode": "10115"}]}
    assert bodies.contact({"name": "S"}, "vendor") == {"supplierName": "S", "status": "Active", "addresses": []}
    assert bodies.lookup_query("receivable", {"invoiceNumber": "INV-1"}) == 'invoiceNumber="INV-1"'
    assert bodies.lookup_query("credit_note", {"note": "ledgersync credit note 1"}) == 'note="ledgersync credit note 1"'
    assert bodies.lookup_query("payment_record", {}) is None
