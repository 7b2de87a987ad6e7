"""Sync errors a person can act on: a stable code, a message naming the object and value,
and a hint saying what to do (the troubleshooting list of seed 002). Pure."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SyncError:
    code: str
    message: str
    hint: str


def as_errors(problems: list[SyncError]) -> dict | None:
    """The synced record's `errors` object: the first problem at top level, all under `details`."""
    if not problems:
        return None
    return {**asdict(problems[0]), "details": [asdict(p) for p in problems]}


def multiple_counterparts(kind: str, name: str, system: str, candidates: tuple[str, ...]) -> SyncError:
    return SyncError(
        "multiple_matches",
        f"{len(candidates)} {kind}s in {system} match the counterpart {name!r}: {', '.join(candidates)}",
        f"Make the counterpart's name, country, city or address unique in {system} (or in ledgersync), "
        "then sync again")


def multiple_products(name: str, system: str, candidates: tuple[str, ...]) -> SyncError:
    return SyncError(
        "multiple_matches",
        f"{len(candidates)} products named {name!r} match in {system}: {', '.join(candidates)}",
        f"Give the product a unique name in {system} and in ledgersync, then sync again")


def percent(minor: int) -> str:
    return f"{minor / 100:.2f}%"


def tax_rate_not_found(value: int, system: str, line: str) -> SyncError:
    return SyncError("tax_rate_not_found", f"No tax rate of {percent(value)} exists in {system} "
                     f"(line {line!r})", f"Create a tax rate of exactly {percent(value)} in {system} "
                     "and push again")


def product_not_mapped(name: str, product_id: str, system: str) -> SyncError:
    return SyncError("product_not_mapped", f"Product {name!r} ({product_id}) is not mapped to an item "
                     f"in {system}", f"Create a product with the same name ({name!r}) in {system}, sync, "
                     "then push again")


def product_ambiguous(name: str, product_id: str, system: str) -> SyncError:
    return SyncError("product_not_mapped", f"Product {name!r} ({product_id}) matches several items in "
                     f"{system}", f"Give the product a unique name in {system}, sync, then push again")


def counterpart_unknown(counterpart_id: str, system: str) -> SyncError:
    return SyncError("counterpart_not_found", f"Counterpart {counterpart_id} is unknown to ledgersync",
                     f"Make sure counterpart.created was published, or create the counterpart in {system} "
                     "with the same name, sync, then push again")


def counterpart_not_mapped(name: str, role: str, system: str, why: str = "") -> SyncError:
    return SyncError("counterpart_not_mapped",
                     f"Counterpart {name!r} is not mapped to a {role} in {system}{': ' + why if why else ''}",
                     f"Create the counterpart in {system} with the same name (or make the match unique), "
                     "sync, then push again")


def missing_setting(setting: str, system: str) -> SyncError:
    return SyncError("ledger_account_not_set", f"Entity setting {setting} is not set",
                     f"Set {setting} to a ledger account of {system} (PATCH /v1/entities/{{id}}/settings), "
                     "then push again")


def bill_line(code: str, line: str, message: str, hint: str) -> SyncError:
    return SyncError(code, f"Bill line {line!r}: {message}", hint)


def provider_rejected(messages: list[str], system: str) -> SyncError:
    return SyncError("provider_validation_failed", f"{system} refused the document: {'; '.join(messages)}",
                     f"Fix the document in ledgersync or the referenced records in {system}, then push again")


def mapped_object_deleted(role: str, name: str, provider_id: str, system: str, how: str) -> SyncError:
    what = {"customer": "customer", "vendor": "supplier", "product": "item"}.get(role, role)
    hint = (f"Restore it in {system}, or create an item named {name!r} there, then sync: the product is "
            "matched again by name") if role == "product" else (
            f"Restore it in {system} and sync, or push this record again: ledgersync looks for a matching "
            f"{what} in {system} and creates one only if none matches")
    return SyncError("mapped_object_deleted",
                     f"The {what} {name!r} (id {provider_id}) this record is mapped to was {how} in {system}", hint)


def match_linked_elsewhere(role: str, name: str, system: str, candidates: tuple[str, ...]) -> SyncError:
    contact, other = candidates[0], candidates[-1]
    return SyncError("multiple_matches",
                     f"The only {role} in {system} matching the counterpart {name!r}, {contact}, is already "
                     f"mapped to counterpart {other!r}",
                     "If they are one business, merge the two counterparts in ledgersync; if not, give them "
                     "distinct names, countries, cities or addresses, then push again")


def name_in_use(role: str, name: str, system: str, holders: tuple[str, ...]) -> SyncError:
    return SyncError("name_in_use",
                     f"{system} already has an active contact named {name!r} that does not match the "
                     f"counterpart as a {role}: {', '.join(holders)}",
                     f"{system} keeps names unique: if it is the same business, correct its country, city or "
                     f"address in {system} or in ledgersync; if not, rename one of them; then push again")
