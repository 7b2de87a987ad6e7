"""Railz bodies (no totals: the accounting system computes them), the natural keys that find a
write of unknown outcome, and Railz records in the canonical shape."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.core.errors import ProviderRejected
from services.core.settings import Settings
from services.providers import railz_bodies as bodies
from services.providers.railz import RailzAdapter
from services.providers.railz_mapping import connection_status, tax_rate_minor
from services.providers.railz_records import CANONICAL
from tests.unit.test_codat_bodies import _doc, _verdict, cents


def test_an_invoice_carries_lines_and_no_totals_a_bill_each_lines_tax():
    doc = _doc([("p1", 2, 12000, 1900), ("p2", 1, 999, 700)])
    body = bodies.invoice(doc, _verdict(doc))
    assert {"subTotal", "totalAmount", "taxAmount"}.isdisjoint(body) and body["postedDate"] == "2026-11-22"
    assert [(x["quantity"], x["unitAmount"], x["taxRateRef"]["id"]) for x in body["lines"]] == [
        (2.0, 120.0, "t1900"), (1.0, 9.99, "t700")]
    note = bodies.credit_note(doc, _verdict(doc))
    assert sum(cents(x["taxAmount"]) for x in note["lines"]) == doc["total_vat_amount"]
    assert note["memo"] == "m" and "invoiceCreditNoteNumber" not in note


def test_the_natural_key_finds_the_written_document_and_nothing_else():
    doc = _doc([("p1", 2, 12000, 1900)])
    body = bodies.invoice(doc, _verdict(doc))
    key, net = bodies.natural_key("invoices", body), bodies.net_amount(body)
    assert key == {"customerRef.id": "cust", "invoiceNumber": "INV-1"} and net == Decimal("240.0")
    written = {"id": "9", "invoiceNumber": "inv-1 ", "customerRef": {"id": "cust"}, "subTotal": 240.0, "totalAmount": 285.6}
    assert bodies.matches(written, key, net)
    assert not bodies.matches({**written, "subTotal": 241.0}, key, net)
    assert not bodies.matches({**written, "customerRef": {"id": "other"}}, key, net)
    contact = bodies.contact({"name": "Kunde GmbH", "country": "DE"}, "customer")
    assert bodies.natural_key("customers", contact) == {"customerName": "Kunde GmbH"}
    assert bodies.matches({"customerName": "kunde gmbh"}, {"customerName": "Kunde GmbH"})


def test_statuses_rates_and_canonical_records():
    assert [connection_status(s, r) for s, r in (("pending", None), ("active", None),
            ("disconnected", "disconnectedByCustomer"), ("disconnected", "authorizationRevoked"),
            ("expired", None), ("invalid", None))] == [
        "pending_auth", "connected", "disconnected", "deauthorized", "deauthorized", "deauthorized"]
    assert tax_rate_minor(12.5) == 1250 and tax_rate_minor(None) is None
    vendor = CANONICAL["vendors"]({"id": "v1", "status": "active", "vendorName": "Lieferant",
                                   "billingAddress": {"country": "DE", "city": "Köln"}})
    assert (vendor["supplierName"], vendor["status"], vendor["addresses"][0]["type"]) == ("Lieferant", "Active", "Billing")
    bill = CANONICAL["bills"]({"id": "b1", "status": "open", "vendorInvoiceNumber": "B-1", "postedDate": "2026-01-01",
                               "totalAmount": 10.0, "lines": [{"id": "l", "amount": 10.0}], "vendorRef": {"id": "v1"}})
    assert (bill["reference"], bill["status"], bill["supplierRef"]["id"]) == ("B-1", "Open", "v1")


def test_a_bill_canceled_before_its_push_is_refused():
    adapter = RailzAdapter(Settings(provider="railz"), session=None)
    doc = {**_doc([("p1", 1, 100, 0)]), "status": "canceled"}
    with pytest.raises(ProviderRejected, match="void"):  # it would become an open bill
        adapter.write_body("bill", doc, _verdict(doc))
