"""The three rows the lifecycle reads, as small frozen values, and the outcomes it returns."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.sync.record_errors import SyncError

Row = Mapping[str, Any]  # an asyncpg.Record or a dict: anything indexed by column name
SETTLED = frozenset({"success", "failed", "timed_out"})  # a push attempt's final states
CONTACTS = frozenset({"customer", "vendor"})


@dataclass(frozen=True)
class SyncedRecord:
    id: UUID
    object_type: str
    sync_status: str  # pending | done | error
    push_generation: int
    platform_object_id: str | None = None  # set once the accounting system has it

    @classmethod
    def from_row(cls, row: Row) -> SyncedRecord:
        return cls(row["id"], row["object_type"], row["sync_status"], row["push_generation"],
                   row["platform_object_id"])

    def is_current(self, generation: int) -> bool:
        """This push (generation) is the record's own and the record still waits for it."""
        return self.sync_status == "pending" and self.push_generation == generation


@dataclass(frozen=True)
class PushAttempt:
    id: UUID
    generation: int
    status: str  # sending | pending | success | failed | timed_out
    requested_at: datetime
    operation_id: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> PushAttempt:
        return cls(row["id"], row["generation"], row["status"], row["requested_at"], row["operation_id"])

    @property
    def settled(self) -> bool:
        return self.status in SETTLED


@dataclass(frozen=True)
class Connection:
    status: str  # connected | ...
    throttled_until: datetime | None = None  # paused by the provider's rate limit until then

    @classmethod
    def from_row(cls, row: Row) -> Connection:
        return cls(row["status"], row["throttled_until"])

    def paused(self, now: datetime) -> bool:
        return self.throttled_until is not None and self.throttled_until > now


# outcomes: what the handler does next (each a value; match on the class)
@dataclass(frozen=True)
class Skip:
    """Not pushed on this connection, and why."""
    reason: str


@dataclass(frozen=True)
class Queue:
    """A new record, pushed for the first time."""


@dataclass(frozen=True)
class Repush:
    """A new logical push: new generation, new idempotency key."""
    reason: str


@dataclass(frozen=True)
class Void(Repush):
    """A canceled bill already in the accounting system: its document is changed there, never added."""
    reason: str = "the bill was canceled: void it in the accounting system"


@dataclass(frozen=True)
class AlreadyDone:
    """In the accounting system already: never pushed twice."""


@dataclass(frozen=True)
class Unchanged:
    """Nothing to do: the record's push is under way (or it stays as it is)."""


@dataclass(frozen=True)
class Stale:
    """A command or answer for a push that is no longer the record's current one."""


@dataclass(frozen=True)
class Fail:
    """The record is settled ``error`` with these problems."""
    problems: tuple[SyncError, ...]


@dataclass(frozen=True)
class Defer:
    """The connection is paused by the provider's rate limit: park the push."""


@dataclass(frozen=True)
class AwaitAnswer:
    """Written already: its webhook (or the scheduler's re-check) settles it."""


@dataclass(frozen=True)
class Reconcile:
    """The outcome of a write is unknown: look it up before writing again."""


@dataclass(frozen=True)
class Resend:
    """The same write again: the same key and the stored body (never a changed one)."""


@dataclass(frozen=True)
class PlanWrite:
    """No write of this push yet: plan one (prerequisites, then the body)."""


@dataclass(frozen=True)
class Wait:
    """Wait for a dependency's push to settle."""
    on: UUID


@dataclass(frozen=True)
class RequestAgain:
    """Queue the same push (same generation) again: it decides afresh."""


@dataclass(frozen=True)
class Write:
    """Store the attempt with its key and body, then send it."""


@dataclass(frozen=True)
class AlreadySettled:
    """The attempt had its final answer: a later one changes nothing."""


@dataclass(frozen=True)
class Pending:
    """Accepted by the provider, not finished."""


@dataclass(frozen=True)
class Done:
    """In the accounting system, with this id."""
    platform_id: str


@dataclass(frozen=True)
class FetchDetails:
    """Ask the provider for the operation's details before settling."""


@dataclass(frozen=True)
class Apply:
    """The answer says enough: settle with it."""


@dataclass(frozen=True)
class Push:
    """A dependent record: push it now."""


@dataclass(frozen=True)
class Refuse:
    """A request that cannot be done (a 409 for the caller)."""
    message: str


def of(cls, row: Row | None):
    """``cls.from_row(row)``, or None for no row."""
    return None if row is None else cls.from_row(row)
