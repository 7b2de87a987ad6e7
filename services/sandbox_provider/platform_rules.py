"""The platforms' own rules on contact names, as the sandbox enforces them per connection. Pure:
a pushed contact, the company's ledger and the connection's platform in, Codat validation items
out. Every surface that writes contacts (Codat's push, Railz's) runs them through
``validation.validate_push``.

- Xero: a contact's name is unique within the organisation among active contacts, compared
  case-insensitively and trimmed ("The contact name … is already assigned to another contact. The
  contact name must be unique across all active contacts"). One Xero contact carries both roles,
  so a customer and a supplier with the same id are the same contact, and a document may name a
  contact in either role.
- QuickBooks Online: a display name is unique across customers and vendors (error 6240,
  "Duplicate Name Exists Error"). Making a name inactive frees it (QuickBooks renames it
  "… (deleted)"), so archived records do not count here either.

The admin API does not apply these rules: it writes as an import would, so tests can set up the
duplicates a real ledger may carry.
"""
from __future__ import annotations

from services.sandbox_provider.errors import validation_item

NAME_FIELDS = {"customers": "customerName", "suppliers": "supplierName"}
VALIDATOR = "DuplicateName"


def family(platform: str) -> str | None:
    """``xero``, ``quickbooks_online`` or None for a platform without a contact-name rule."""
    text = platform.strip().casefold()
    if text.startswith("xero"):
        return "xero"
    if text.startswith("quickbooks online"):
        return "quickbooks_online"
    return None


def shares_contacts(platform: str) -> bool:
    """One contact serves as customer and supplier (Xero)."""
    return family(platform) == "xero"


def name_key(value: object) -> str | None:
    """Names compare case-insensitively and trimmed; None for a missing or blank name."""
    if not isinstance(value, str):
        return None
    return value.strip().casefold() or None


def _active(record: dict) -> bool:
    deleted = bool((record.get("metadata") or {}).get("isDeleted"))
    return not deleted and record.get("status") != "Archived"


def holders(ledger: dict[str, dict[str, dict]], name: str, *, except_id: str | None = None) -> list[dict]:
    """Active contacts (customers and suppliers) whose name is ``name``, other than ``except_id``."""
    wanted = name_key(name)
    found = []
    for data_type, field in NAME_FIELDS.items():
        for record in ledger.get(data_type, {}).values():
            if record.get("id") != except_id and _active(record) and name_key(record.get(field)) == wanted:
                found.append(record)
    return found


def name_clash(data_type: str, body: dict, ledger: dict[str, dict[str, dict]], platform: str,
               own_id: str | None = None) -> list[dict]:
    """The validation errors a contact write gets when its name is already taken; [] otherwise."""
    rule, field = family(platform), NAME_FIELDS.get(data_type)
    name = body.get(field) if field else None
    if rule is None or name_key(name) is None or body.get("status") == "Archived":
        return []
    if not holders(ledger, name, except_id=own_id):
        return []
    if rule == "xero":
        message = (f"The contact name {name.strip()} is already assigned to another contact. "
                   "The contact name must be unique across all active contacts.")
    else:
        message = ("Duplicate Name Exists Error (6240): The name supplied already exists. Another "
                   f"customer, vendor or employee is already using the display name {name.strip()!r}.")
    return [validation_item(field, message, VALIDATOR)]


def contact_dataset(ledger: dict[str, dict[str, dict]], dataset: str, ref_id: str,
                    platform: str) -> dict | None:
    """The contact a document names by id: on Xero a customer may be named as supplier and back."""
    record = ledger.get(dataset, {}).get(ref_id)
    if record is None and dataset in NAME_FIELDS and shares_contacts(platform):
        other = "suppliers" if dataset == "customers" else "customers"
        record = ledger.get(other, {}).get(ref_id)
    return record
