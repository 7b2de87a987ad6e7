"""Validation of pushed documents, as an accounting system would do it. Pure: a body and the
company's ledger in, Codat validation items out (an empty list means accepted)."""
from __future__ import annotations

from decimal import Decimal

from services.sandbox_provider.clock import parse as parse_date
from services.sandbox_provider.ledger import taken
from services.sandbox_provider.errors import validation_item
from services.sandbox_provider.platform_rules import contact_dataset, name_clash

TOLERANCE = Decimal("0.005")
TAX_TOLERANCE = Decimal("0.01")   # a tax amount may round either way
STATUSES = {
    "invoices": ("Unknown", "Draft", "Submitted", "PartiallyPaid", "Paid", "Void"),
    "creditNotes": ("Unknown", "Draft", "Submitted", "Paid", "Void", "PartiallyPaid"),
    "bills": ("Unknown", "Open", "PartiallyPaid", "Paid", "Void", "Draft"),
    "contacts": ("Unknown", "Active", "Archived"),
}
LINK_TYPES = {"Invoice": "invoices", "CreditNote": "creditNotes"}


class _Check:
    def __init__(self, body: dict, ledger: dict[str, dict[str, dict]], platform: str) -> None:
        self.body, self.ledger, self.platform = body, ledger, platform
        self.errors: list[dict] = []

    def fail(self, item: str | None, message: str, validator: str) -> None:
        self.errors.append(validation_item(item, message, validator))

    def present(self, obj: dict, field: str, path: str) -> object:
        value = obj.get(field)
        if value is None or value == "":
            self.fail(path, f"{path} is required", "Required")
        return value

    def text(self, obj: dict, field: str, path: str) -> None:
        value = self.present(obj, field, path)
        if value is not None and not (isinstance(value, str) and value.strip()):
            self.fail(path, f"{path} must be a non-empty string", "Type")

    def one_of(self, obj: dict, field: str, path: str, allowed: tuple[str, ...]) -> None:
        value = self.present(obj, field, path)
        if value is not None and value not in allowed:
            self.fail(path, f"{path} must be one of {', '.join(allowed)}; got {value!r}", "Enum")

    def date(self, obj: dict, field: str, path: str, required: bool = True) -> None:
        value = self.present(obj, field, path) if required else obj.get(field)
        if value is not None and (not isinstance(value, str) or parse_date(value) is None):
            self.fail(path, f"{path} must be an ISO-8601 date; got {value!r}", "Date")

    def amount(self, obj: dict, field: str, path: str, required: bool = False) -> Decimal | None:
        value = self.present(obj, field, path) if required else obj.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"{path} must be a number; got {value!r}", "Type")
            return None
        return Decimal(str(value))

    def ref(self, obj: dict, field: str, path: str, dataset: str, label: str,
            required: bool = False) -> dict | None:
        ref = obj.get(field)
        if ref is None:
            if required:
                self.fail(f"{path}.id", f"{path}.id is required", "Required")
            return None
        ref_id = ref.get("id") if isinstance(ref, dict) else None
        if not isinstance(ref_id, str) or not ref_id:
            self.fail(f"{path}.id", f"{path}.id is required", "Required")
            return None
        record = contact_dataset(self.ledger, dataset, ref_id, self.platform)
        if record is None:
            self.fail(f"{path}.id", f"{label} with id '{ref_id}' does not exist in {self.platform}",
                      "ReferenceExists")
        elif "Archived" in (record.get("status"), record.get("itemStatus")):
            self.fail(f"{path}.id", f"{label} '{record.get('name') or ref_id}' is archived in "
                                    f"{self.platform}", "ReferenceActive")
        return record

    def same(self, given: Decimal | None, expected: Decimal, path: str, what: str,
             tolerance: Decimal = TOLERANCE) -> None:
        if given is not None and abs(given - expected) > tolerance:
            self.fail(path, f"{path} is {given} but {what} is {expected}", "Totals")

    def currency(self, obj: dict, field: str = "currency") -> None:
        value = obj.get(field)
        if value is not None and not (isinstance(value, str) and len(value) == 3 and value.isalpha()):
            self.fail(field, f"{field} must be an ISO 4217 code; got {value!r}", "Currency")


def _contact(c: _Check, name_field: str) -> None:
    c.text(c.body, name_field, name_field)
    c.one_of(c.body, "status", "status", STATUSES["contacts"])
    c.currency(c.body, "defaultCurrency")
    for i, address in enumerate(c.body.get("addresses") or []):
        if not isinstance(address, dict):
            c.fail(f"addresses[{i}]", "Each address must be an object", "Type")
        else:
            c.one_of(address, "type", f"addresses[{i}].type", ("Unknown", "Billing", "Delivery"))


def _lines(c: _Check, *, bill: bool) -> tuple[Decimal, Decimal, Decimal]:
    """Checks every line; returns the sums of subTotal, taxAmount and totalAmount."""
    lines = c.body.get("lineItems")
    if not isinstance(lines, list) or not lines:
        c.fail("lineItems", f"A {'bill' if bill else 'document'} needs at least one line item",
               "Required")
        return Decimal(0), Decimal(0), Decimal(0)
    sums = [Decimal(0), Decimal(0), Decimal(0)]
    for i, line in enumerate(lines):
        path = f"lineItems[{i}]"
        if not isinstance(line, dict):
            c.fail(path, f"{path} must be an object", "Type")
            continue
        unit = c.amount(line, "unitAmount", f"{path}.unitAmount", required=True)
        qty = c.amount(line, "quantity", f"{path}.quantity", required=True)
        discount = c.amount(line, "discountAmount", f"{path}.discountAmount") or Decimal(0)
        item = c.ref(line, "itemRef", f"{path}.itemRef", "items", "Item")
        c.ref(line, "accountRef", f"{path}.accountRef", "accounts", "Account",
              required=bill and item is None)
        rate = c.ref(line, "taxRateRef", f"{path}.taxRateRef", "taxRates", "Tax rate")
        given_sub = c.amount(line, "subTotal", f"{path}.subTotal")
        given_tax = c.amount(line, "taxAmount", f"{path}.taxAmount")
        given_total = c.amount(line, "totalAmount", f"{path}.totalAmount")
        sub = unit * qty - discount if unit is not None and qty is not None else given_sub
        if sub is None:
            continue
        c.same(given_sub, sub, f"{path}.subTotal", "unitAmount x quantity - discountAmount")
        tax = given_tax if given_tax is not None else Decimal(0)
        if rate is not None and rate.get("effectiveTaxRate") is not None:
            percent = Decimal(str(rate["effectiveTaxRate"]))
            expected = (sub * percent / 100).quantize(Decimal("0.01"))
            c.same(given_tax, expected, f"{path}.taxAmount",
                   f"{percent}% ({rate.get('name')}) of {sub}", TAX_TOLERANCE)
            tax = given_tax if given_tax is not None else expected
        c.same(given_total, sub + tax, f"{path}.totalAmount", "subTotal + taxAmount")
        for k, value in enumerate((sub, tax, given_total if given_total is not None else sub + tax)):
            sums[k] += value
    return sums[0], sums[1], sums[2]


def _document(c: _Check, kind: str, tax_field: str, number_field: str | None) -> None:
    if kind == "bills":
        c.ref(c.body, "supplierRef", "supplierRef", "suppliers", "Supplier", required=True)
    else:
        c.ref(c.body, "customerRef", "customerRef", "customers", "Customer", required=True)
    c.date(c.body, "issueDate", "issueDate", required=kind != "creditNotes")
    c.date(c.body, "dueDate", "dueDate", required=False)
    c.one_of(c.body, "status", "status", STATUSES[kind])
    c.currency(c.body)
    sub, tax, total = _lines(c, bill=kind == "bills")
    required = kind != "invoices"
    c.same(c.amount(c.body, "subTotal", "subTotal", required=required), sub, "subTotal",
           "the sum of the lines' subTotal")
    given_tax = c.amount(c.body, tax_field, tax_field, required=True)
    c.same(given_tax, tax, tax_field, "the sum of the lines' taxAmount")
    given_total = c.amount(c.body, "totalAmount", "totalAmount", required=True)
    c.same(given_total, total, "totalAmount", "the sum of the lines' totalAmount")
    if kind == "invoices":
        due = c.amount(c.body, "amountDue", "amountDue", required=True)
        if due is not None and given_total is not None and not 0 <= due <= given_total + TOLERANCE:
            c.fail("amountDue", f"amountDue {due} must be between 0 and totalAmount", "Totals")
    if kind == "creditNotes":
        for field in ("totalDiscount", "discountPercentage", "remainingCredit"):
            c.amount(c.body, field, field, required=True)
    number = c.body.get(number_field) if number_field else None
    if number and taken(c.ledger.get(kind, {}), number_field, number):
        c.fail(number_field, f"{number_field} '{number}' already exists in {c.platform}",
               "Duplicate")


def _payment(c: _Check) -> None:
    c.ref(c.body, "customerRef", "customerRef", "customers", "Customer", required=True)
    c.ref(c.body, "accountRef", "accountRef", "accounts", "Account", required=True)
    c.date(c.body, "date", "date")
    c.currency(c.body)
    total = Decimal(0)
    for i, line in enumerate(c.body.get("lines") or []):
        if not isinstance(line, dict):
            c.fail(f"lines[{i}]", f"lines[{i}] must be an object", "Type")
            continue
        total += c.amount(line, "amount", f"lines[{i}].amount", required=True) or 0
        for j, link in enumerate(line.get("links") or []):
            path = f"lines[{i}].links[{j}]"
            if not isinstance(link, dict):
                c.fail(path, f"{path} must be an object", "Type")
                continue
            dataset = LINK_TYPES.get(link.get("type"))
            if dataset and link.get("id") not in c.ledger.get(dataset, {}):
                c.fail(f"{path}.id", f"{link.get('type')} with id '{link.get('id')}' does not "
                                     f"exist in {c.platform}", "ReferenceExists")
    if c.body.get("lines"):
        c.same(c.amount(c.body, "totalAmount", "totalAmount"), total, "totalAmount",
               "the sum of the lines' amount")


def _item(c: _Check) -> None:
    c.text(c.body, "name", "name")
    c.one_of(c.body, "itemStatus", "itemStatus", ("Unknown", "Active", "Archived"))
    c.one_of(c.body, "type", "type", ("Unknown", "Inventory", "NonInventory", "Service"))
    for flag, detail in (("isInvoiceItem", "invoiceItem"), ("isBillItem", "billItem")):
        if not isinstance(c.body.get(flag), bool):
            c.fail(flag, f"{flag} is required (true or false)", "Required")
        part = c.body.get(detail)
        if c.body.get(flag) is True and isinstance(part, dict):
            c.ref(part, "accountRef", f"{detail}.accountRef", "accounts", "Account")
            c.ref(part, "taxRateRef", f"{detail}.taxRateRef", "taxRates", "Tax rate")
    code = c.body.get("code")
    if code and taken(c.ledger.get("items", {}), "code", code):
        c.fail("code", f"An item with code '{code}' already exists in {c.platform}", "Duplicate")


def validate_push(data_type: str, body: dict, ledger: dict[str, dict[str, dict]],
                  platform: str, own_id: str | None = None) -> list[dict]:
    """``own_id``: the record an update changes (it does not clash with itself)."""
    c = _Check(body, ledger, platform)
    if data_type == "customers":
        _contact(c, "customerName")
    elif data_type == "suppliers":
        _contact(c, "supplierName")
    if data_type in ("customers", "suppliers") and not c.errors:
        c.errors.extend(name_clash(data_type, body, ledger, platform, own_id))
    elif data_type == "invoices":
        _document(c, "invoices", "totalTaxAmount", "invoiceNumber")
    elif data_type == "creditNotes":
        _document(c, "creditNotes", "totalTaxAmount", "creditNoteNumber")
    elif data_type == "bills":
        _document(c, "bills", "taxAmount", None)
    elif data_type == "payments":
        _payment(c)
    elif data_type == "items":
        _item(c)
    return c.errors
