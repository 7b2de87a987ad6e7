"""Mappings are stable: what a pull may do to a synced record, and when a mapped object is gone
from the accounting system. Pure.

Seeds ``001_*``: "Once matched, there is no regular check for data changes in either system".
A record that is ``done`` keeps its mapping: a later pull never re-matches it, never moves it to
``error`` for a match and never points it elsewhere; a rename there changes nothing here (the
object is known by id). Only its object's deletion or archiving turns it into an explained error.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Gone = Literal["deleted", "archived"]


def pull_may_match(status: str | None) -> bool:
    """A pull matches a record that does not exist yet or is in ``error``; never one that is
    ``done`` (stable) or ``pending`` (a write of it may be under way: the push decides)."""
    return status in (None, "error")


@dataclass(frozen=True)
class Mirrored:
    """What the last pulls say about one provider record (None fields: not listed)."""
    is_deleted: bool
    status: str | None  # Active, Archived, … (items: itemStatus)


def mapped_object_gone(status: str | None, mirrored: Mirrored | None, *, mapped_at: datetime | None,
                       listed_since: datetime | None) -> Gone | None:
    """Why a ``done`` record's object is no longer usable in the accounting system, or None.

    ``mirrored``: that object as the pulls stored it (None: never listed). ``mapped_at``: when the
    record got its mapping. ``listed_since``: when the complete listing that produced the mirror
    began. An object never listed is gone only if a complete listing began after it was mapped."""
    if status != "done":
        return None
    if mirrored is None:
        if mapped_at is not None and listed_since is not None and listed_since > mapped_at:
            return "deleted"
        return None
    if mirrored.is_deleted:
        return "deleted"
    if mirrored.status == "Archived":
        return "archived"
    return None
