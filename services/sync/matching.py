"""Matching rules of the seeds (001_*.txt), as pure functions.

Counterparts: by name, then country, then city, then address, in that order, until exactly one
candidate is left. Products: by name alone. A match must be unique from both sides.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

_SPACES = re.compile(r"\s+")


def norm(value: str | None) -> str | None:
    """Case- and whitespace-insensitive form of a name or address part; None when blank."""
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip().casefold()
    return text or None


@dataclass(frozen=True)
class Party:
    """One side's view of a counterpart: the partner's, or the accounting system's record."""
    id: str
    name: str | None
    country: str | None = None
    city: str | None = None
    address: str | None = None  # first address line (with postal code when known)
    label: str = ""             # how to name it in an error message

    def key(self, attribute: str) -> str | None:
        return norm(getattr(self, attribute))


NARROWING = ("country", "city", "address")


def record_party(provider_id: str, data: dict, name_field: str) -> Party:
    """An accounting-system contact (the canonical record shape) as a party: its billing address,
    else its first; labelled with what tells it apart and its id."""
    addresses = data.get("addresses") or []
    address = next((a for a in addresses if a.get("type") == "Billing"), addresses[0] if addresses else {})
    label = ", ".join(x for x in (data.get(name_field), address.get("country"), address.get("city"),
                                  address.get("line1")) if x)
    return Party(provider_id, data.get(name_field), address.get("country"), address.get("city"),
                 address.get("line1"), label=f"{label} (id {provider_id})")


def narrow(target: Party, candidates: Iterable[Party]) -> list[Party]:
    """Candidates left after name, then country, city and address, stopping at one.

    An attribute the target does not know cannot narrow; a candidate that does not know it
    cannot be ruled out by it."""
    left = [c for c in candidates if target.key("name") and c.key("name") == target.key("name")]
    for attribute in NARROWING:
        if len(left) <= 1:
            break
        wanted = target.key(attribute)
        if wanted is None:
            continue  # the target does not say: this attribute cannot tell them apart
        # only a candidate that positively differs is ruled out; one that does not say stays
        left = [c for c in left if c.key(attribute) in (wanted, None)]
    return left


@dataclass(frozen=True)
class Outcome:
    kind: Literal["matched", "multiple_matches", "unmatched"]
    object_id: str
    provider_id: str | None = None
    candidates: tuple[str, ...] = field(default=())  # labels of the clashing candidates


def match_counterparts(partner: Sequence[Party], provider: Sequence[Party]) -> list[Outcome]:
    """One outcome per partner counterpart; matched only when unique from both sides."""
    outcomes = []
    for ours in partner:
        theirs = narrow(ours, provider)
        if not theirs:
            outcomes.append(Outcome("unmatched", ours.id))
        elif len(theirs) > 1:
            outcomes.append(Outcome("multiple_matches", ours.id, candidates=tuple(p.label or p.id for p in theirs)))
        else:
            back = narrow(theirs[0], partner)
            if [c.id for c in back] == [ours.id]:
                outcomes.append(Outcome("matched", ours.id, theirs[0].id))
            elif ours.id not in {c.id for c in back}:
                outcomes.append(Outcome("unmatched", ours.id))  # it is another counterpart's
            else:
                outcomes.append(Outcome("multiple_matches", ours.id, theirs[0].id,
                                        candidates=tuple(c.label or c.id for c in back)))
    return outcomes


@dataclass(frozen=True)
class ProductMatch:
    outcomes: list[Outcome]
    to_create: list[Party]  # accounting-system items with no product of that name: pull for creation


def match_products(products: Sequence[Party], items: Sequence[Party]) -> ProductMatch:
    """By name alone: one item ↔ one product; several on either side → error; none → create."""
    outcomes = []
    for product in products:
        same = [i for i in items if product.key("name") and i.key("name") == product.key("name")]
        rivals = [p for p in products if p.key("name") == product.key("name")]
        if not same:
            outcomes.append(Outcome("unmatched", product.id))
        elif len(same) > 1:
            outcomes.append(Outcome("multiple_matches", product.id, candidates=tuple(i.label or i.id for i in same)))
        elif len(rivals) > 1:
            outcomes.append(Outcome("multiple_matches", product.id, same[0].id,
                                    candidates=tuple(p.label or p.id for p in rivals)))
        else:
            outcomes.append(Outcome("matched", product.id, same[0].id))
    known = {p.key("name") for p in products}
    by_name: dict[str | None, list[Party]] = {}
    for item in items:
        by_name.setdefault(item.key("name"), []).append(item)
    to_create = [group[0] for name, group in by_name.items()
                 if name and name not in known and len(group) == 1]
    return ProductMatch(outcomes, to_create)
