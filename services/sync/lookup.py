"""Look before you create: what to ask the accounting system before writing a contact for a
counterpart, and what to do with its fresh answer. Pure; the handler loads and writes.

The platforms' rules decide the shape of it:
- Xero keeps one contact for both roles and its names are unique among active contacts: a
  look-up covers customers and suppliers, and a counterpart's second role links to the contact
  of its first.
- QuickBooks Online keeps customers and vendors apart but their display names share one name
  space: a counterpart that is both gets its vendor created as "<name> (vendor)" (a deterministic
  suffix, the workaround QuickBooks' error 6240 asks for), and the vendor look-up finds either name.
- Any name already held by an active contact that does not match is an explained error before
  the write, never a write the platform would refuse or a duplicate where it would not.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from services.sync import record_errors
from services.sync.record_errors import SyncError
from services.sync.matching import Party, narrow, norm

ROLES = {"customer": "customers", "vendor": "suppliers"}  # role -> contact dataset
SHARED_CONTACTS = frozenset({"xero"})  # one contact carries both roles
SHARED_NAMES = frozenset({"xero", "quickbooks_online", "quickbooks_online_sandbox", "quickbooks"})
VENDOR_SUFFIX = " (vendor)"


def contact_name(name: str, role: str, platform: str | None, both_roles: bool) -> str:
    """The name ledgersync gives a contact it creates for the counterpart in that role."""
    if role == "vendor" and both_roles and platform in SHARED_NAMES - SHARED_CONTACTS:
        return f"{name.strip()}{VENDOR_SUFFIX}"
    return name


def as_counterpart(party: Party, role: str, platform: str | None) -> Party:
    """A contact as the counterpart it was made for: a QuickBooks Online vendor "<name> (vendor)"
    reads as "<name>", so the look-up and the pull's matching find what ledgersync created."""
    name = party.name or ""
    if role == "vendor" and platform in SHARED_NAMES - SHARED_CONTACTS and name.rstrip().endswith(VENDOR_SUFFIX):
        return replace(party, name=name.rstrip()[:-len(VENDOR_SUFFIX)])
    return party


@dataclass(frozen=True)
class Query:
    """Ask the accounting system for the active records of ``data_type`` with one of ``names``."""
    data_type: str
    names: tuple[str, ...]


def look_ups(name: str, role: str, platform: str | None, both_roles: bool) -> list[Query]:
    """The queries whose answers ``before_create`` needs: the role's own dataset, and the other
    contact dataset where the platform shares contacts or names across roles."""
    names = tuple(dict.fromkeys([name, contact_name(name, role, platform, both_roles)]))
    own = ROLES[role]
    queries = [Query(own, names)]
    if platform in SHARED_NAMES:
        queries.append(Query(next(d for d in ROLES.values() if d != own), names))
    return queries


@dataclass(frozen=True)
class Found:
    """One record the look-up returned: where it was and how it reads as a party."""
    data_type: str
    party: Party
    active: bool = True


@dataclass(frozen=True)
class Decision:
    kind: Literal["link", "create", "multiple_matches", "linked_elsewhere", "name_in_use"]
    provider_id: str | None = None
    name: str | None = None  # the name to create with
    candidates: tuple[str, ...] = field(default=())  # labels of the records concerned


def before_create(target: Party, role: str, platform: str | None, both_roles: bool,
                  found: Iterable[Found], taken: Mapping[str, str]) -> Decision:
    """Link, create, or say why neither. ``taken``: provider ids already mapped to another
    counterpart (in this role, or in any role where contacts are shared) → that one's name."""
    create_as = contact_name(target.name or "", role, platform, both_roles)
    active = [f for f in found if f.active]
    pool = _unique([as_counterpart(f.party, role, platform) for f in active
                    if platform in SHARED_CONTACTS or f.data_type == ROLES[role]])
    left = narrow(target, pool)
    if len(left) > 1:
        return Decision("multiple_matches", candidates=tuple(p.label or p.id for p in left))
    if left and left[0].id in taken:
        return Decision("linked_elsewhere", left[0].id, candidates=(left[0].label or left[0].id,
                                                                      taken[left[0].id]))
    if left:
        return Decision("link", left[0].id)
    if platform in SHARED_NAMES:
        holders = _unique([f.party for f in active if f.party.key("name") == norm(create_as)])
        if holders:
            return Decision("name_in_use", name=create_as, candidates=tuple(p.label or p.id for p in holders))
    return Decision("create", name=create_as)


def _unique(parties: Iterable[Party]) -> list[Party]:
    """One party per provider id (a Xero contact may be listed in both contact datasets)."""
    return list({p.id: p for p in parties}.values())


def second_role_waits(role: str, both_roles: bool, first_role_status: str | None) -> bool:
    """A counterpart that is both: its vendor is decided after its customer has settled, so the
    two writes never race for one name (Xero: the vendor links to that contact)."""
    return role == "vendor" and both_roles and first_role_status == "pending"


def problem(decision: Decision, role: str, name: str, system: str) -> SyncError | None:
    """The synced record's error for a decision that neither links nor creates, else None."""
    if decision.kind == "multiple_matches":
        return record_errors.multiple_counterparts(role, name, system, decision.candidates)
    if decision.kind == "linked_elsewhere":
        return record_errors.match_linked_elsewhere(role, name, system, decision.candidates)
    if decision.kind == "name_in_use":
        return record_errors.name_in_use(role, decision.name or name, system, decision.candidates)
    return None
