"""The synced-record lifecycle (services/sync/record_lifecycle), one table per decision."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.sync import record_lifecycle as lc

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=24)
RID, DEP = uuid.UUID(int=1), uuid.UUID(int=2)


def record(status="pending", generation=1, kind="receivable", platform_id=None):
    return lc.SyncedRecord(RID, kind, status, generation, platform_id)


def attempt(status="sending", generation=1, age=timedelta(minutes=1), operation_id=None):
    return lc.PushAttempt(uuid.UUID(int=9), generation, status, NOW - age, operation_id)


CONNECTED = lc.Connection("connected")
PAUSED = lc.Connection("connected", NOW + timedelta(seconds=30))
PAUSE_OVER = lc.Connection("connected", NOW - timedelta(seconds=1))


@pytest.mark.parametrize("stored, incoming, stale", [
    (None, NOW, False),                           # nothing kept yet
    (NOW, NOW, False),                            # the same version again is applied (idempotent)
    (NOW - timedelta(seconds=1), NOW, False),     # newer
    (NOW + timedelta(seconds=1), NOW, True),      # older than what we keep
])
def test_is_stale(stored, incoming, stale):
    assert lc.is_stale(stored, incoming) is stale


@pytest.mark.parametrize("rec, kind, status, skip, expected", [
    (None, "receivable", "issued", lc.NO_CONNECTION, lc.Skip(lc.NO_CONNECTION)),
    (record("error"), "receivable", "issued", "issued before the connection", lc.Skip("issued before the connection")),
    (None, "receivable", "issued", None, lc.Queue()),
    (record("error"), "receivable", "issued", None, lc.Repush("a newer receivable.issued arrived")),
    (record("done", kind="bill"), "bill", "canceled", None, lc.Void()),
    (record("done", kind="bill"), "bill", "issued", None, lc.AlreadyDone()),
    (record("done"), "receivable", "canceled", None, lc.AlreadyDone()),  # only bills are voided in place
    (record("pending"), "receivable", "issued", None, lc.Unchanged()),
    (record("pending", kind="bill"), "bill", "canceled", None, lc.Unchanged()),
])
def test_on_document(rec, kind, status, skip, expected):
    assert lc.on_document(rec, kind=kind, status=status, event_type=f"{kind}.issued", skip=skip) == expected


def test_a_void_is_a_repush_with_its_reason():
    assert isinstance(lc.Void(), lc.Repush) and "canceled" in lc.Void().reason


@pytest.mark.parametrize("rec, generation, connection, att, window, expected", [
    (None, 1, None, None, WINDOW, lc.Stale()),
    (record("done"), 1, CONNECTED, None, WINDOW, lc.Stale()),
    (record("error"), 1, CONNECTED, None, WINDOW, lc.Stale()),
    (record(generation=2), 1, CONNECTED, None, WINDOW, lc.Stale()),          # an older push's command
    (record(), 1, lc.Connection("disconnected"), None, WINDOW, lc.Fail((lc.decisions.not_connected("disconnected"),))),
    (record(), 1, PAUSED, None, WINDOW, lc.Defer()),
    (record(), 1, PAUSED, attempt(), WINDOW, lc.Defer()),
    (record(), 1, PAUSE_OVER, None, WINDOW, lc.PlanWrite()),
    (record(), 1, CONNECTED, None, None, lc.PlanWrite()),
    (record(), 1, CONNECTED, attempt("pending"), WINDOW, lc.AwaitAnswer()),
    (record(), 1, CONNECTED, attempt("timed_out"), WINDOW, lc.AwaitAnswer()),
    (record(), 1, CONNECTED, attempt(age=timedelta(hours=1)), WINDOW, lc.Resend()),
    (record(), 1, CONNECTED, attempt(age=WINDOW), WINDOW, lc.Resend()),     # the window's last moment
    (record(), 1, CONNECTED, attempt(age=WINDOW + timedelta(seconds=1)), WINDOW, lc.Reconcile()),
    (record(), 1, CONNECTED, attempt(age=timedelta(0)), None, lc.Reconcile()),  # no window: never blindly again
])
def test_before_write(rec, generation, connection, att, window, expected):
    assert lc.before_write(rec, generation, connection, att, now=NOW, window=window) == expected


def test_a_connection_that_is_not_connected_says_so():
    (problem,) = lc.before_write(record(), 1, lc.Connection("expired"), None, now=NOW, window=WINDOW).problems
    assert problem.code == "connection_not_connected" and "expired" in problem.message


PROBLEM = lc.decisions.timed_out(3)


@pytest.mark.parametrize("problems, wait_for, dependency_status, expected", [
    ([], None, None, lc.Write()),
    ([PROBLEM], None, None, lc.Fail((PROBLEM,))),
    ([PROBLEM], DEP, "pending", lc.Fail((PROBLEM,))),        # problems first: waiting would not help
    ([], DEP, "pending", lc.Wait(DEP)),
    ([], DEP, "done", lc.RequestAgain()),                    # it settled meanwhile: decide again
    ([], DEP, "error", lc.RequestAgain()),
    ([], DEP, None, lc.RequestAgain()),
])
def test_after_plan(problems, wait_for, dependency_status, expected):
    assert lc.after_plan(problems, wait_for, dependency_status) == expected


def test_problems_met_in_the_documents_own_event_are_decided_again_by_the_command():
    assert lc.after_plan([PROBLEM], None, None, in_event=True) == lc.RequestAgain()
    assert lc.after_plan([], None, None, in_event=True) == lc.Write()
    assert lc.after_plan([], DEP, "pending", in_event=True) == lc.Wait(DEP)


@pytest.mark.parametrize("att, rec, status, platform_id, errors, expected", [
    (attempt("success"), record(), "failed", None, [], lc.AlreadySettled()),   # never backwards
    (attempt("failed"), record(), "success", "X1", [], lc.AlreadySettled()),
    (attempt("timed_out"), record(), "success", "X1", [], lc.AlreadySettled()),
    (attempt("sending"), record(), "pending", None, [], lc.Pending()),
    (attempt("pending"), record(), "pending", None, [], lc.Pending()),
    (attempt("pending"), record(generation=2), "success", "X1", [], lc.Stale()),  # an older push's answer
    (attempt("pending"), record("done"), "success", "X1", [], lc.Stale()),
    (attempt("pending"), record("error"), "failed", None, [], lc.Stale()),
    (attempt("sending"), record(), "success", "X1", [], lc.Done("X1")),
    (attempt("pending"), record(), "timed_out", None, [], lc.Reconcile()),
])
def test_on_result(att, rec, status, platform_id, errors, expected):
    assert lc.on_result(att, rec, status, platform_id, errors, "Xero") == expected


@pytest.mark.parametrize("status, platform_id, errors, message", [
    ("failed", None, [{"message": "Contact is archived"}, {"message": None}], "Xero refused the document: Contact "
     "is archived"),
    ("failed", None, [{"message": "a"}, {"message": "b"}], "Xero refused the document: a; b"),
    ("failed", None, [], "Xero refused the document: no reason given"),
    ("success", None, None, "Xero refused the document: no reason given"),  # success without an id
])
def test_on_result_refusals(status, platform_id, errors, message):
    (problem,) = lc.on_result(attempt(), record(), status, platform_id, errors, "Xero").problems
    assert (problem.code, problem.message) == ("provider_validation_failed", message)


@pytest.mark.parametrize("errors, error_message, kept", [
    ([{"message": "m", "item_id": "i"}], "ignored", [{"message": "m"}]),
    ([], "the reason", [{"message": "the reason"}]),
    ([], None, None),
])
def test_answer_errors(errors, error_message, kept):
    assert lc.answer_errors(errors, error_message) == kept


@pytest.mark.parametrize("att, status, expected", [
    (attempt("pending"), "failed", lc.FetchDetails()),
    (attempt("sending"), "timed_out", lc.FetchDetails()),
    (attempt("failed"), "failed", lc.Apply()),        # settled already: applying records the answer only
    (attempt("pending"), "success", lc.Apply()),
    (attempt("pending"), "pending", lc.Apply()),
])
def test_on_notice(att, status, expected):
    assert lc.on_notice(att, status) == expected


@pytest.mark.parametrize("att, rec, connection, expected", [
    (None, None, None, lc.Unchanged()),
    (attempt("success"), record(), CONNECTED, lc.Unchanged()),
    (attempt("pending", operation_id="op"), record(), CONNECTED, lc.FetchDetails()),
    (attempt("sending", operation_id="op"), record("done"), PAUSED, lc.FetchDetails()),
    (attempt("sending"), record(), CONNECTED, lc.RequestAgain()),      # never answered: the same key again
    (attempt("sending"), record(), PAUSE_OVER, lc.RequestAgain()),
    (attempt("sending"), record(), PAUSED, lc.Unchanged()),           # resumes by itself when the pause ends
    (attempt("sending"), record(generation=2), CONNECTED, lc.Unchanged()),
    (attempt("sending"), record("error"), CONNECTED, lc.Unchanged()),
])
def test_on_recheck(att, rec, connection, expected):
    assert lc.on_recheck(att, rec, connection, NOW) == expected


@pytest.mark.parametrize("found, timeouts, expected", [
    ("X1", 0, lc.Done("X1")),
    ("X1", 5, lc.Done("X1")),                   # found: whatever the count
    (None, 1, lc.Repush("the unanswered write did not create the document")),
    (None, lc.MAX_TIMEOUTS - 1, lc.Repush("the unanswered write did not create the document")),
    (None, lc.MAX_TIMEOUTS, lc.Fail((lc.decisions.timed_out(lc.MAX_TIMEOUTS),))),
    (None, lc.MAX_TIMEOUTS + 1, lc.Fail((lc.decisions.timed_out(lc.MAX_TIMEOUTS),))),
])
def test_after_lookup(found, timeouts, expected):
    assert lc.after_lookup(found, timeouts) == expected


def test_the_timeout_problem_says_how_often():
    (problem,) = lc.after_lookup(None, 3).problems
    assert problem.code == "provider_timed_out" and "3 times" in problem.message


@pytest.mark.parametrize("settled_type, dependent_type, ok, expected", [
    ("customer", "receivable", True, lc.Push()),
    ("vendor", "bill", True, lc.Push()),
    ("customer", "vendor", True, lc.Push()),
    ("customer", "vendor", False, lc.Push()),     # a counterpart's second role decides on its own
    ("vendor", "customer", False, lc.Push()),
    ("receivable", "payment_record", True, lc.Push()),
    ("customer", "receivable", False, "customer"),
    ("vendor", "bill", False, "vendor"),
    ("receivable", "payment_record", False, "customer"),
])
def test_for_dependent(settled_type, dependent_type, ok, expected):
    outcome = lc.for_dependent(settled_type, DEP, dependent_type, ok=ok, why="it was refused")
    if isinstance(expected, str):  # the role whose record to fix
        (problem,) = outcome.problems
        assert problem.code == "dependency_failed"
        assert problem.message == f"The {settled_type.replace('_', ' ')} it needs could not be pushed: it was refused"
        assert problem.hint.startswith(f"Fix the {expected}'s synced record {DEP} and push it")
    else:
        assert outcome == expected


@pytest.mark.parametrize("rec, in_flight, expected", [
    (record("error"), False, lc.Repush("manual push")),
    (record("error", kind="customer"), True, lc.Repush("manual push")),
    (record("pending"), False, lc.RequestAgain()),
    (record("pending"), True, lc.Unchanged()),        # a write is out: never a second document
    (record("done"), False, lc.Unchanged()),
    (record("error", kind="product"), False, lc.Refuse("Products are never pushed; create the item in the "
                                                        "accounting system and sync")),
    (record("pending", kind="product"), False, lc.Refuse("Products are never pushed; create the item in the "
                                                          "accounting system and sync")),
])
def test_manual_push(rec, in_flight, expected):
    assert lc.manual_push(rec, in_flight) == expected


def test_rows_are_read_by_column_name():
    row = {"id": RID, "object_type": "bill", "sync_status": "done", "push_generation": 3, "platform_object_id": "B1",
           "status": "pending", "generation": 3, "requested_at": NOW, "operation_id": "op", "throttled_until": None}
    assert lc.SyncedRecord.from_row(row) == lc.SyncedRecord(RID, "bill", "done", 3, "B1")
    assert lc.PushAttempt.from_row(row) == lc.PushAttempt(RID, 3, "pending", NOW, "op")
    assert lc.Connection.from_row(row) == lc.Connection("pending", None)
