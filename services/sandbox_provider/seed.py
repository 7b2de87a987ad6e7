"""A believable ledger per new company, the same every time for the same company id."""
from __future__ import annotations

import random
import uuid
from decimal import ROUND_HALF_UP, Decimal

from services.sandbox_provider import seed_data as data
from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.ledger import Dataset, stamp

NAMESPACE = uuid.UUID("5f0c6a3e-2b1d-4c8e-9a7f-0d3e5b6c7a81")
SOURCE_MODIFIED = "2026-09-30T12:00:00Z"
CURRENCY = "EUR"
CENT = Decimal("0.01")


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def effective_rate(components) -> Decimal:
    """Compound components apply on top of the tax of the components before them."""
    simple = sum((Decimal(c[1]) for c in components if not c[2:]), Decimal(0))
    total = simple
    for comp in components:
        if comp[2:]:
            total += Decimal(comp[1]) * (1 + simple / 100)
    return total


class _Seeder:
    def __init__(self, company_id: str) -> None:
        self.company_id = company_id
        self.rng = random.Random(company_id)
        self.now = now_iso()

    def rid(self, kind: str, key: str) -> str:
        return str(uuid.uuid5(NAMESPACE, f"{self.company_id}/{kind}/{key}"))

    def put(self, dataset: dict, record: dict) -> None:
        dataset[record["id"]] = stamp(record, self.now, SOURCE_MODIFIED)

    def ref(self, kind: str, key: str, name: str) -> dict:
        return {"id": self.rid(kind, key), "name": name}

    def account_ref(self, code: str) -> dict:
        name = next(a[1] for a in data.ACCOUNTS if a[0] == code)
        return self.ref("account", code, name)

    def tax_ref(self, code: str) -> dict:
        name, _status, comps = next(t[1:] for t in data.TAX_RATES if t[0] == code)
        return {**self.ref("taxRate", code, name), "effectiveTaxRate": float(effective_rate(comps))}

    def line(self, quantity: str, unit: str, tax_code: str) -> dict:
        qty, price = Decimal(quantity), Decimal(unit)
        sub = (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
        rate = effective_rate(next(t[3] for t in data.TAX_RATES if t[0] == tax_code))
        tax = (sub * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return {"unitAmount": float(price), "quantity": float(qty), "discountAmount": 0.0,
                "subTotal": money(sub), "taxAmount": money(tax), "totalAmount": money(sub + tax),
                "taxRateRef": self.tax_ref(tax_code)}


def _totals(lines: list[dict]) -> tuple[Decimal, Decimal, Decimal]:
    sub = sum((Decimal(str(x["subTotal"])) for x in lines), Decimal(0))
    tax = sum((Decimal(str(x["taxAmount"])) for x in lines), Decimal(0))
    return sub, tax, sub + tax


def _contact(s: _Seeder, kind: str, row: tuple, name_field: str) -> dict:
    key, name, contact, email, country, city, line1, line2, postal, region = row
    address = {"type": "Billing", "line1": line1, "line2": line2, "city": city,
               "region": region, "country": country, "postalCode": postal}
    return {"id": s.rid(kind, key), name_field: name, "contactName": contact,
            "emailAddress": email, "phone": f"+49 30 {s.rng.randint(1000000, 9999999)}",
            "addresses": [address], "registrationNumber": f"HRB {s.rng.randint(10000, 99999)}",
            "taxNumber": f"{country}{s.rng.randint(100000000, 999999999)}",
            "defaultCurrency": CURRENCY, "status": "Active"}


def _accounts(s: _Seeder, out: dict) -> None:
    for code, name, kind, category, bank, status in data.ACCOUNTS:
        balance = Decimal(s.rng.randint(0, 5_000_000)) / 100 if kind in ("Asset", "Liability") else 0
        s.put(out, {"id": s.rid("account", code), "nominalCode": code, "name": name,
                    "description": f"{name} ({category.split('.')[0].lower()})",
                    "fullyQualifiedCategory": category,
                    "fullyQualifiedName": f"{category}.{name}", "currency": CURRENCY,
                    "currentBalance": money(Decimal(balance)), "type": kind, "status": status,
                    "isBankAccount": bank, "validDatatypeLinks": []})


def _tax_rates(s: _Seeder, out: dict) -> None:
    for code, name, status, comps in data.TAX_RATES:
        components = [{"name": c[0], "rate": float(Decimal(c[1])), "isCompound": bool(c[2:])}
                      for c in comps]
        s.put(out, {"id": s.rid("taxRate", code), "name": name, "code": code, "status": status,
                    "effectiveTaxRate": float(effective_rate(comps)),
                    "totalTaxRate": float(sum(Decimal(c[1]) for c in comps)),
                    "components": components, "validDatatypeLinks": []})


def _items(s: _Seeder, out: dict) -> None:
    for code, name, kind, status, sell, buy, income, expense, tax in data.ITEMS:
        record = {"id": s.rid("item", code), "name": name, "code": code, "itemStatus": status,
                  "type": kind, "isInvoiceItem": sell is not None, "isBillItem": buy is not None}
        if sell is not None:
            record["invoiceItem"] = {"description": name, "unitPrice": float(Decimal(sell)),
                                     "accountRef": s.account_ref(income), "taxRateRef": s.tax_ref(tax)}
        if buy is not None:
            record["billItem"] = {"description": name, "unitPrice": float(Decimal(buy)),
                                  "accountRef": s.account_ref(expense), "taxRateRef": s.tax_ref(tax)}
        s.put(out, record)


def _invoices(s: _Seeder, out: dict, customers: dict) -> None:
    items = {row[0]: row for row in data.ITEMS}
    for number, customer, issued, due, status, paid, rows in data.INVOICES:
        lines = []
        for code, qty in rows:
            _c, name, _k, _s, sell, _b, income, _e, tax = items[code]
            lines.append({"description": name, **s.line(qty, sell, tax),
                          "accountRef": s.account_ref(income),
                          "itemRef": {"id": s.rid("item", code), "name": name}})
        sub, tax, total = _totals(lines)
        paid_amount = total if paid == "all" else Decimal(paid)
        customer_id = s.rid("customer", customer)
        record = {"id": s.rid("invoice", number), "invoiceNumber": number,
                  "customerRef": {"id": customer_id,
                                  "companyName": customers[customer_id]["customerName"]},
                  "issueDate": f"{issued}T00:00:00", "dueDate": f"{due}T00:00:00",
                  "currency": CURRENCY, "currencyRate": 1.0, "lineItems": lines,
                  "paymentAllocations": [], "withholdingTax": [], "totalDiscount": 0.0,
                  "subTotal": money(sub), "additionalTaxAmount": 0.0,
                  "additionalTaxPercentage": 0.0, "totalTaxAmount": money(tax),
                  "totalAmount": money(total), "amountDue": money(total - paid_amount),
                  "discountPercentage": 0.0, "status": status, "note": ""}
        if status == "Paid":
            record["paidOnDate"] = f"{due}T00:00:00"
        s.put(out, record)


def _bills(s: _Seeder, out: dict, suppliers: dict) -> None:
    for reference, supplier, issued, due, status, rows in data.BILLS:
        lines = []
        for description, account, tax, qty, unit, item in rows:
            line = {"description": description, **s.line(qty, unit, tax),
                    "accountRef": s.account_ref(account), "isDirectCost": False}
            if item:
                line["itemRef"] = {"id": s.rid("item", item), "name": description}
            lines.append(line)
        sub, tax, total = _totals(lines)
        supplier_id = s.rid("supplier", supplier)
        s.put(out, {"id": s.rid("bill", reference), "reference": reference,
                    "supplierRef": {"id": supplier_id,
                                    "supplierName": suppliers[supplier_id]["supplierName"]},
                    "issueDate": f"{issued}T00:00:00", "dueDate": f"{due}T00:00:00",
                    "currency": CURRENCY, "currencyRate": 1.0, "lineItems": lines,
                    "purchaseOrderRefs": [], "withholdingTax": [], "status": status,
                    "subTotal": money(sub), "taxAmount": money(tax), "totalAmount": money(total),
                    "amountDue": 0.0 if status == "Paid" else money(total), "note": "",
                    "paymentAllocations": []})


def _payments(s: _Seeder, ledger: dict) -> None:
    invoice = ledger["invoices"][s.rid("invoice", "INV-0003")]
    amount = invoice["totalAmount"]
    s.put(ledger["payments"], {
        "id": s.rid("payment", "INV-0003"), "customerRef": dict(invoice["customerRef"]),
        "accountRef": s.account_ref("090"), "totalAmount": amount, "currency": CURRENCY,
        "currencyRate": 1.0, "date": invoice["paidOnDate"], "note": "", "reference": "INV-0003",
        "lines": [{"amount": amount, "allocatedOnDate": invoice["paidOnDate"],
                   "links": [{"type": "Invoice", "id": invoice["id"], "amount": -amount,
                              "currencyRate": 1.0}]}]})
    bill = ledger["bills"][s.rid("bill", "CH-88231")]
    s.put(ledger["billPayments"], {
        "id": s.rid("billPayment", "CH-88231"), "supplierRef": dict(bill["supplierRef"]),
        "accountRef": s.account_ref("090"), "totalAmount": bill["totalAmount"],
        "currency": CURRENCY, "currencyRate": 1.0, "date": bill["dueDate"], "note": "",
        "reference": "CH-88231",
        "lines": [{"amount": bill["totalAmount"], "allocatedOnDate": bill["dueDate"],
                   "links": [{"type": "Bill", "id": bill["id"], "amount": -bill["totalAmount"],
                              "currencyRate": 1.0}]}]})


def _credit_notes(s: _Seeder, out: dict, customers: dict) -> None:
    line = {"description": "USB-C Cable (returned)", **s.line("1", "19.99", "STD19"),
            "accountRef": s.account_ref("200"),
            "itemRef": {"id": s.rid("item", "USB-C"), "name": "USB-C Cable"}}
    customer_id = s.rid("customer", "acme-de")
    s.put(out, {"id": s.rid("creditNote", "CN-0001"), "creditNoteNumber": "CN-0001",
                "customerRef": {"id": customer_id,
                                "companyName": customers[customer_id]["customerName"]},
                "issueDate": "2026-09-20T00:00:00", "currency": CURRENCY, "currencyRate": 1.0,
                "lineItems": [line], "paymentAllocations": [], "withholdingTax": [],
                "totalAmount": line["totalAmount"], "totalDiscount": 0.0,
                "subTotal": line["subTotal"], "additionalTaxAmount": 0.0,
                "additionalTaxPercentage": 0.0, "totalTaxAmount": line["taxAmount"],
                "discountPercentage": 0.0, "remainingCredit": line["totalAmount"],
                "status": "Submitted", "note": ""})


def seed_ledger(company_id: str) -> dict[str, dict[str, dict]]:
    """Every dataset of a new company, keyed by Codat's list path name, then by record id."""
    s = _Seeder(company_id)
    ledger: dict[str, dict[str, dict]] = {name: Dataset() for name in (
        "accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills",
        "creditNotes", "payments", "billPayments")}
    _accounts(s, ledger["accounts"])
    _tax_rates(s, ledger["taxRates"])
    for row in data.CUSTOMERS:
        s.put(ledger["customers"], _contact(s, "customer", row, "customerName"))
    for row in data.SUPPLIERS:
        s.put(ledger["suppliers"], _contact(s, "supplier", row, "supplierName"))
    _items(s, ledger["items"])
    _invoices(s, ledger["invoices"], ledger["customers"])
    _bills(s, ledger["bills"], ledger["suppliers"])
    _credit_notes(s, ledger["creditNotes"], ledger["customers"])
    _payments(s, ledger)
    return ledger
