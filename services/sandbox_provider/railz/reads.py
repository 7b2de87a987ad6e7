"""The shared ledger's records (kept in Codat's shape) as Railz read records. Pure."""
from __future__ import annotations

from collections.abc import Callable

# Railz read path (under /v2/accounting/) → (the ledger's dataset, Railz dataType name)
READ_PATHS: dict[str, tuple[str, str]] = {
    "accounts": ("accounts", "accounts"), "taxRates": ("taxRates", "taxRates"),
    "customers": ("customers", "customers"), "vendors": ("suppliers", "vendors"),
    "inventory": ("items", "inventory"), "invoices": ("invoices", "invoices"),
    "invoices/creditNotes": ("creditNotes", "invoiceCreditNotes"),
    "invoices/payments": ("payments", "invoicePayments"), "bills": ("bills", "bills"),
    "bills/payments": ("billPayments", "billPayments"),
}
TRANSACTIONAL = ("invoices", "invoices/creditNotes", "invoices/payments", "bills", "bills/payments")
DOC_STATUS = {"Submitted": "open", "Open": "open", "Draft": "draft", "PartiallyPaid": "partiallyPaid",
              "Paid": "paid", "Void": "void", "Unknown": "unknown"}
SECTIONS = {"Asset": "Assets", "Liability": "Liabilities", "Equity": "Equity", "Income": "Income",
            "Expense": "Expenses"}
ITEM_TYPES = {"Inventory": "inventory", "NonInventory": "nonInventory", "Service": "service"}


def when(value: str | None) -> str | None:
    """A ledger date or date-time as Railz's ISO date-time (``…T00:00:00.000Z``)."""
    if not value:
        return None
    text = value if "T" in value else f"{value}T00:00:00"
    return text if text.endswith("Z") or "+" in text[10:] else f"{text[:19]}.000Z"


def _clean(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None}


def _ref(ref: dict | None) -> dict | None:
    if not isinstance(ref, dict) or not ref.get("id"):
        return None
    name = ref.get("name") or ref.get("companyName") or ref.get("supplierName")
    return _clean({"id": ref["id"], "name": name})


def _status(value: str | None) -> str:
    return {"Active": "active", "Archived": "archived"}.get(value or "", "unknown")


def account(r: dict) -> dict:
    category = (r.get("fullyQualifiedCategory") or "").split(".")
    return _clean({"id": r["id"], "nominalCode": r.get("nominalCode"), "name": r.get("name"),
                   "description": r.get("description"), "classification": r.get("type"),
                   "type": r.get("type"), "fullyQualifiedName": r.get("fullyQualifiedName"),
                   "currency": r.get("currency"), "currentBalance": r.get("currentBalance"),
                   "isBankAccount": r.get("isBankAccount"), "isActive": r.get("status") == "Active",
                   "section": SECTIONS.get(r.get("type") or "", r.get("type") or "Other"),
                   "subSection": category[1] if len(category) > 1 else (r.get("type") or "Other"),
                   "sourceModifiedDate": when(r.get("sourceModifiedDate"))})


def tax_rate(r: dict) -> dict:
    components = [_clean({"name": c.get("name"), "rate": c.get("rate"), "isCompound": c.get("isCompound")})
                  for c in r.get("components") or []]
    return _clean({"id": r["id"], "name": r.get("name") or r["id"], "code": r.get("code"),
                   "effectiveTaxRate": r.get("effectiveTaxRate"), "totalTaxRate": r.get("totalTaxRate"),
                   "components": components, "sourceModifiedDate": when(r.get("sourceModifiedDate"))})


def _address(r: dict) -> dict | None:
    addresses = r.get("addresses") or []
    found = next((a for a in addresses if a.get("type") == "Billing"), addresses[0] if addresses else None)
    if not found:
        return None
    return _clean({k: found.get(k) for k in ("line1", "line2", "city", "region", "country", "postalCode")})


def contact(name_field: str, theirs: str) -> Callable[[dict], dict]:
    def convert(r: dict) -> dict:
        return _clean({"id": r["id"], "status": _status(r.get("status")), theirs: r.get(name_field),
                       "contactName": r.get("contactName"), "emailAddress": r.get("emailAddress"),
                       "phone": r.get("phone"), "taxNumber": r.get("taxNumber"),
                       "currency": r.get("defaultCurrency"), "billingAddress": _address(r),
                       "sourceModifiedDate": when(r.get("sourceModifiedDate"))})
    return convert


def _item_side(part: dict | None) -> dict | None:
    if not isinstance(part, dict):
        return None
    tax = part.get("taxRateRef") or {}
    return _clean({"description": part.get("description"), "unitPrice": part.get("unitPrice"),
                   "accountRef": _ref(part.get("accountRef")),
                   "taxRateRef": _clean({"id": tax.get("id"), "name": tax.get("name"),
                                         "effectiveTaxRate": tax.get("effectiveTaxRate")}) if tax.get("id") else None})


def item(r: dict) -> dict:
    return _clean({"id": r["id"], "status": _status(r.get("itemStatus")), "name": r.get("name"),
                   "code": r.get("code"), "type": ITEM_TYPES.get(r.get("type") or ""),
                   "isInvoiceItem": r.get("isInvoiceItem"), "isBillItem": r.get("isBillItem"),
                   "invoiceItem": _item_side(r.get("invoiceItem")), "billItem": _item_side(r.get("billItem")),
                   "sourceModifiedDate": when(r.get("sourceModifiedDate"))})


def _lines(r: dict) -> list[dict]:
    out = []
    for i, line in enumerate(r.get("lineItems") or []):
        out.append(_clean({"id": line.get("id") or f"{r['id']}-{i + 1}", "description": line.get("description"),
                           "unitAmount": line.get("unitAmount"), "quantity": line.get("quantity"),
                           "discountAmount": line.get("discountAmount"), "taxAmount": line.get("taxAmount"),
                           "amount": line.get("subTotal", 0.0), "accountRef": _ref(line.get("accountRef")),
                           "taxRateRef": _ref(line.get("taxRateRef")), "inventoryRef": _ref(line.get("itemRef"))}))
    return out


def _document(r: dict, number_field: str, theirs: str, party: str, their_party: str) -> dict:
    return _clean({"id": r["id"], "status": DOC_STATUS.get(r.get("status") or "", "unknown"),
                   theirs: r.get(number_field), their_party: _ref(r.get(party)),
                   "postedDate": when(r.get("issueDate")), "dueDate": when(r.get("dueDate")),
                   "currency": r.get("currency"), "currencyRate": r.get("currencyRate"),
                   "subTotal": r.get("subTotal"), "taxAmount": r.get("totalTaxAmount", r.get("taxAmount")),
                   "totalDiscount": r.get("totalDiscount"), "totalAmount": r.get("totalAmount", 0.0),
                   "amountDue": r.get("amountDue"), "memo": r.get("note"), "lines": _lines(r),
                   "sourceModifiedDate": when(r.get("sourceModifiedDate"))})


def invoice(r: dict) -> dict:
    return _document(r, "invoiceNumber", "invoiceNumber", "customerRef", "customerRef")


def credit_note(r: dict) -> dict:
    body = _document(r, "creditNoteNumber", "invoiceCreditNoteNumber", "customerRef", "customerRef")
    body.pop("amountDue", None)
    body["postedDate"] = body.get("postedDate") or when(r.get("modifiedDate"))
    return _clean({**body, "remainingCredit": r.get("remainingCredit")})


def bill(r: dict) -> dict:
    body = _document(r, "reference", "vendorInvoiceNumber", "supplierRef", "vendorRef")
    body.pop("totalDiscount", None)
    return body


def _payment(party: str, their_party: str, link_type: str) -> Callable[[dict], dict]:
    def convert(r: dict) -> dict:
        lines = [_clean({"amount": line.get("amount"), "allocatedOnDate": when(line.get("allocatedOnDate")),
                         "links": [{"type": link_type, "id": link["id"]} for link in line.get("links") or []
                                   if link.get("id")]}) for line in r.get("lines") or []]
        return _clean({"id": r["id"], "date": when(r.get("date")) or when(r.get("modifiedDate")),
                       "totalAmount": r.get("totalAmount", 0.0), their_party: _ref(r.get(party)),
                       "accountRef": _ref(r.get("accountRef")), "currency": r.get("currency"),
                       "currencyRate": r.get("currencyRate"), "memo": r.get("note"), "lines": lines})
    return convert


CONVERT: dict[str, Callable[[dict], dict]] = {
    "accounts": account, "taxRates": tax_rate, "customers": contact("customerName", "customerName"),
    "vendors": contact("supplierName", "vendorName"), "inventory": item, "invoices": invoice,
    "invoices/creditNotes": credit_note, "invoices/payments": _payment("customerRef", "customerRef", "invoice"),
    "bills": bill, "bills/payments": _payment("supplierRef", "vendorRef", "bill"),
}
