"""The decisions, one per moment of a synced record's life. Pure: rows in, an outcome out."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from services.sync import record_errors
from services.sync.record_errors import SyncError
from services.sync.record_lifecycle.rows import (
    CONTACTS,
    AlreadyDone,
    AlreadySettled,
    Apply,
    AwaitAnswer,
    Connection,
    Defer,
    Done,
    Fail,
    FetchDetails,
    Pending,
    PlanWrite,
    Push,
    PushAttempt,
    Queue,
    Reconcile,
    Refuse,
    Repush,
    RequestAgain,
    Resend,
    Skip,
    Stale,
    SyncedRecord,
    Unchanged,
    Void,
    Wait,
    Write,
)

MAX_TIMEOUTS = 3  # timed-out writes in a row before a person is asked to look
NO_CONNECTION = "the entity has no connected accounting connection"
NOT_FOUND_AFTER_TIMEOUT = "the unanswered write did not create the document"


def is_stale(stored: datetime | None, incoming: datetime) -> bool:
    """An event older than what we keep already changes nothing (events may arrive out of order)."""
    return stored is not None and stored > incoming


def on_document(record: SyncedRecord | None, *, kind: str, status: str | None, event_type: str,
                skip: str | None) -> Skip | Queue | Repush | AlreadyDone | Unchanged:
    """A document event arrived (the document is mirrored already); ``skip`` says why it stays out."""
    if skip:
        return Skip(skip)
    if record is None:
        return Queue()
    if record.sync_status == "error":
        return Repush(f"a newer {event_type} arrived")
    if record.sync_status == "done" and kind == "bill" and status == "canceled":
        return Void()
    if record.sync_status == "done":
        return AlreadyDone()
    return Unchanged()


def not_connected(status: str) -> SyncError:
    return SyncError("connection_not_connected", f"The accounting connection is {status}",
                     "Connect the entity's accounting system again, then push this record")


def before_write(record: SyncedRecord | None, generation: int, connection: Connection | None,
                 attempt: PushAttempt | None, *, now: datetime, window: timedelta | None
                 ) -> Stale | Fail | Defer | AwaitAnswer | Reconcile | Resend | PlanWrite:
    """A ``push_record`` command for this generation; ``window`` is how long the provider answers
    a key with its first answer (None: it does not)."""
    if record is None or connection is None or not record.is_current(generation):
        return Stale()
    if connection.status != "connected":
        return Fail((not_connected(connection.status),))
    if connection.paused(now):
        return Defer()
    if attempt is None:
        return PlanWrite()
    if attempt.status != "sending":
        return AwaitAnswer()
    if window is None or now - attempt.requested_at > window:
        return Reconcile()  # re-sending is no longer safe: look before writing again
    return Resend()


def after_plan(problems: Sequence[SyncError], wait_for: UUID | None, dependency_status: str | None, *,
               in_event: bool = False) -> Fail | Wait | RequestAgain | Write:
    """The write is planned: its problems, or the dependency it waits for (and that one's status).
    ``in_event``: planned inside the document event's own transaction, which may have outrun the
    events of what it needs (its counterpart's): problems are decided again by ``push_record``."""
    if problems:
        return RequestAgain() if in_event else Fail(tuple(problems))
    if wait_for is None:
        return Write()
    if dependency_status != "pending":
        return RequestAgain()  # it settled meanwhile: decide again
    return Wait(wait_for)


def answer_errors(errors: Sequence[dict], error_message: str | None) -> list[dict] | None:
    """A provider answer's errors as the attempt keeps them."""
    return [{"message": e.get("message")} for e in errors] or ([{"message": error_message}] if error_message
                                                                else None)


def on_result(attempt: PushAttempt, record: SyncedRecord, status: str, platform_id: str | None,
              errors: Sequence[dict] | None, system: str
              ) -> AlreadySettled | Pending | Stale | Done | Reconcile | Fail:
    """The provider answered a write (its reply, a webhook, or a read of the operation). Never
    backwards: a settled attempt stays settled; only the record's current push moves the record."""
    if attempt.settled:
        return AlreadySettled()
    if status == "pending":
        return Pending()
    if not record.is_current(attempt.generation):
        return Stale()
    if status == "success" and platform_id:
        return Done(platform_id)
    if status == "timed_out":
        return Reconcile()
    messages = [e["message"] for e in errors or [] if e.get("message")] or ["no reason given"]
    return Fail((record_errors.provider_rejected(messages, system),))


def on_notice(attempt: PushAttempt, status: str) -> FetchDetails | Apply:
    """A webhook says a write finished; a refusal's reasons come from reading the operation."""
    if status in ("failed", "timed_out") and not attempt.settled:
        return FetchDetails()
    return Apply()


def on_recheck(attempt: PushAttempt | None, record: SyncedRecord | None, connection: Connection | None,
               now: datetime) -> Unchanged | RequestAgain | FetchDetails:
    """A write with no settled answer yet (``settle_push``): read its operation, or, when it was
    never answered, push the same key again (a paused connection's writes resume by themselves)."""
    if attempt is None or attempt.settled:
        return Unchanged()
    if attempt.operation_id is not None:
        return FetchDetails()
    if record is not None and connection is not None and record.is_current(attempt.generation) \
            and not connection.paused(now):
        return RequestAgain()
    return Unchanged()


def timed_out(times: int) -> SyncError:
    return SyncError("provider_timed_out", f"The accounting system did not complete the write {times} times "
                     "in a row; nothing was created there", "Check the accounting system is reachable, then push again")


def after_lookup(found: str | None, timeouts: int) -> Done | Fail | Repush:
    """A write with an unknown outcome was looked up; ``timeouts`` counts the record's timed-out
    writes, this one included (a 5xx answer is no timeout)."""
    if found:
        return Done(found)
    if timeouts >= MAX_TIMEOUTS:
        return Fail((timed_out(MAX_TIMEOUTS),))
    return Repush(NOT_FOUND_AFTER_TIMEOUT)


def for_dependent(settled_type: str, settled_id: UUID, dependent_type: str, *, ok: bool, why: str = ""
                  ) -> Push | Fail:
    """A record another one waited for settled; a contact waiting on a contact (the counterpart's
    second role) decides on its own, whatever became of the first."""
    if ok or dependent_type in CONTACTS:
        return Push()
    role = "vendor" if settled_type == "vendor" else "customer"
    return Fail((SyncError("dependency_failed", f"The {settled_type.replace('_', ' ')} it needs could not be "
                           f"pushed: {why}", f"Fix the {role}'s synced record {settled_id} and push it, then "
                           "push this one again"),))


def manual_push(record: SyncedRecord, in_flight: bool) -> Refuse | Repush | RequestAgain | Unchanged:
    """A person fixed the cause (API, console): push again; a record that is done stays as it is."""
    if record.object_type == "product":
        return Refuse("Products are never pushed; create the item in the accounting system and sync")
    if record.sync_status == "error":
        return Repush("manual push")
    if record.sync_status == "pending" and not in_flight:
        return RequestAgain()  # same generation: never a second document
    return Unchanged()
