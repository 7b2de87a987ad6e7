"""The synced-record lifecycle, in one place and pure (no I/O).

A record is ``pending`` until its current push (its generation) settles it ``done`` or ``error``.
Each push is one logical write with one idempotency key; it is re-sent with its stored body while
the provider still answers that key, looked up when its outcome is unknown, and never moves a
record backwards: an answer of an older push only lands on its attempt. Each decision reads the
rows it needs as small frozen values (``SyncedRecord``, ``PushAttempt``, ``Connection``) and
returns an outcome; the handlers in ``push/`` and ``push_worker/`` load, decide, then write.
Table-tested in tests/unit/test_record_lifecycle.py."""
from services.sync.record_lifecycle.decisions import (
    MAX_TIMEOUTS,
    NO_CONNECTION,
    after_lookup,
    after_plan,
    answer_errors,
    before_write,
    for_dependent,
    is_stale,
    manual_push,
    on_document,
    on_notice,
    on_recheck,
    on_result,
)
from services.sync.record_lifecycle.rows import (
    AlreadyDone,
    AlreadySettled,
    Apply,
    AwaitAnswer,
    CONTACTS,
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
    Row,
    SETTLED,
    Skip,
    Stale,
    SyncedRecord,
    Unchanged,
    Void,
    Wait,
    Write,
    of,
)

__all__ = ["AlreadyDone", "AlreadySettled", "Apply", "AwaitAnswer", "CONTACTS", "Connection", "Defer", "Done",
           "Fail", "FetchDetails", "MAX_TIMEOUTS", "NO_CONNECTION", "Pending", "PlanWrite", "Push",
           "PushAttempt", "Queue", "Reconcile", "Refuse", "Repush", "RequestAgain", "Resend", "Row",
           "SETTLED", "Skip", "Stale", "SyncedRecord", "Unchanged", "Void", "Wait", "Write", "after_lookup",
           "after_plan", "answer_errors", "before_write", "for_dependent", "is_stale", "manual_push",
           "on_document", "on_notice", "of", "on_recheck", "on_result"]
