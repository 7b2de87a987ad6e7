"""Railz read records → the port's canonical record shape (Codat's list models, as pull,
matching and the API read them). Pure. Railz records carry the accounting system's ids."""
from __future__ import annotations

from collections.abc import Callable

STATUS = {"active": "Active", "archived": "Archived"}
INVOICE_STATUS = {"open": "Submitted", "draft": "Draft", "partiallyPaid": "PartiallyPaid", "paid": "Paid",
                  "void": "Void"}
BILL_STATUS = {**INVOICE_STATUS, "open": "Open"}
ITEM_TYPES = {"inventory": "Inventory", "nonInventory": "NonInventory", "service": "Service"}


def _base(r: dict) -> dict:
    modified = r.get("sourceModifiedDate")
    return {"id": str(r["id"]), "modifiedDate": modified, "sourceModifiedDate": modified,
            "metadata": {"isDeleted": False}}


def _clean(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None}


def account(r: dict) -> dict:
    return _clean({**_base(r), "name": r.get("name"), "nominalCode": r.get("nominalCode"),
                   "description": r.get("description"), "currency": r.get("currency"),
                   "currentBalance": r.get("currentBalance"), "isBankAccount": r.get("isBankAccount"),
                   "status": "Active" if r.get("isActive") else "Archived",
                   "type": r.get("classification") or r.get("type"),
                   "fullyQualifiedCategory": ".".join(x for x in (r.get("section"), r.get("subSection")) if x) or None,
                   "fullyQualifiedName": r.get("fullyQualifiedName")})


def tax_rate(r: dict) -> dict:
    return _clean({**_base(r), "name": r.get("name"), "code": r.get("code"), "status": "Active",
                   "effectiveTaxRate": r.get("effectiveTaxRate", r.get("totalTaxRate")),
                   "totalTaxRate": r.get("totalTaxRate"),
                   "components": [{"name": c.get("name"), "rate": c.get("rate"), "isCompound": bool(c.get("isCompound"))}
                                  for c in r.get("components") or []]})


def contact(theirs: str, ours: str) -> Callable[[dict], dict]:
    def convert(r: dict) -> dict:
        address = r.get("billingAddress") or {}
        return _clean({**_base(r), ours: r.get(theirs), "contactName": r.get("contactName"),
                       "emailAddress": r.get("emailAddress"), "phone": r.get("phone"),
                       "taxNumber": r.get("taxNumber"), "defaultCurrency": r.get("currency"),
                       "status": STATUS.get(r.get("status") or "", "Unknown"),
                       "addresses": [{"type": "Billing", **address}] if address else []})
    return convert


def item(r: dict) -> dict:
    return _clean({**_base(r), "name": r.get("name"), "code": r.get("code"),
                   "itemStatus": STATUS.get(r.get("status") or "", "Unknown"),
                   "type": ITEM_TYPES.get(r.get("type") or "", "Unknown"), "isInvoiceItem": r.get("isInvoiceItem"),
                   "isBillItem": r.get("isBillItem"), "invoiceItem": r.get("invoiceItem"), "billItem": r.get("billItem")})


def _lines(r: dict) -> list[dict]:
    return [_clean({"description": line.get("description"), "quantity": line.get("quantity"),
                    "unitAmount": line.get("unitAmount"), "discountAmount": line.get("discountAmount"),
                    "discountPercentage": line.get("discountPercentage"), "subTotal": line.get("amount"),
                    "taxAmount": line.get("taxAmount"), "accountRef": line.get("accountRef"),
                    "taxRateRef": line.get("taxRateRef"), "itemRef": line.get("inventoryRef")})
            for line in r.get("lines") or []]


def invoice(r: dict) -> dict:
    customer = r.get("customerRef") or {}
    party = {"id": customer["id"], "companyName": customer.get("name")} if customer.get("id") else None
    return _clean({**_base(r), "invoiceNumber": r.get("invoiceNumber"), "customerRef": party,
                   "issueDate": r.get("postedDate"), "dueDate": r.get("dueDate"), "currency": r.get("currency"),
                   "currencyRate": r.get("currencyRate"), "lineItems": _lines(r), "subTotal": r.get("subTotal"),
                   "totalTaxAmount": r.get("taxAmount"), "totalAmount": r.get("totalAmount"),
                   "amountDue": r.get("amountDue"), "totalDiscount": r.get("totalDiscount"), "note": r.get("memo"),
                   "status": INVOICE_STATUS.get(r.get("status") or "", "Unknown")})


def bill(r: dict) -> dict:
    vendor = r.get("vendorRef") or {}
    return _clean({**_base(r), "reference": r.get("vendorInvoiceNumber"),
                   "supplierRef": {"id": vendor["id"], "supplierName": vendor.get("name")} if vendor.get("id") else None,
                   "issueDate": r.get("postedDate"), "dueDate": r.get("dueDate"), "currency": r.get("currency"),
                   "currencyRate": r.get("currencyRate"), "lineItems": _lines(r), "subTotal": r.get("subTotal"),
                   "taxAmount": r.get("taxAmount"), "totalAmount": r.get("totalAmount"), "amountDue": r.get("amountDue"),
                   "note": r.get("memo"), "status": BILL_STATUS.get(r.get("status") or "", "Unknown"),
                   "purchaseOrderRefs": [{"id": p["id"], "name": p.get("purchaseOrderNumber")}
                                         for p in r.get("purchaseOrderRefs") or [] if p.get("id")]})


def passthrough(r: dict) -> dict:
    return {**r, **_base(r)}


CANONICAL: dict[str, Callable[[dict], dict]] = {
    "accounts": account, "taxRates": tax_rate, "customers": contact("customerName", "customerName"),
    "vendors": contact("vendorName", "supplierName"), "inventory": item, "invoices": invoice, "bills": bill,
    "invoiceCreditNotes": passthrough, "invoicePayments": passthrough, "billPayments": passthrough,
}
