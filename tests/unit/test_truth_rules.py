"""Table tests of the rules for an accounting system that changes: look before create, stable
mappings, both roles under one name, older documents stay out."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.sync.eligibility import OLDER, OLDER_INVOICE, Invoice, skip_reason
from services.sync.lookup import (
    Decision,
    Found,
    Query,
    as_counterpart,
    before_create,
    contact_name,
    look_ups,
    problem,
    second_role_waits,
)
from services.sync.mappings import Mirrored, mapped_object_gone, pull_may_match
from services.sync.matching import Party

SPLIT_MUNICH = Party("split", "Split", "DE", "Munich", label="Split (Munich)")
BERLIN = Party("x-berlin", "Split", "DE", "Berlin", label="Split, DE, Berlin (id x-berlin)")
MUNICH = Party("x-munich", "Split", "DE", "Munich", label="Split, DE, Munich (id x-munich)")
MUNICH_2 = Party("x-munich-2", " split ", "DE", "munich", label="split, DE, munich (id x-munich-2)")


def customers(*parties, active=True):
    return [Found("customers", p, active) for p in parties]


def suppliers(*parties, active=True):
    return [Found("suppliers", p, active) for p in parties]


@pytest.mark.parametrize("platform, role, found, taken, expected", [
    # nothing there → create with the counterpart's name
    ("xero", "customer", [], {}, Decision("create", name="Split")),
    # the case: two "Split" added between pulls; the city tells them apart → link
    ("xero", "customer", customers(BERLIN, MUNICH), {}, Decision("link", "x-munich")),
    # two that cannot be told apart → an error naming both, no write
    ("xero", "customer", customers(MUNICH, MUNICH_2), {},
     Decision("multiple_matches", candidates=(MUNICH.label, MUNICH_2.label))),
    # an archived contact is no candidate, and does not hold the name
    ("xero", "customer", customers(MUNICH, active=False), {}, Decision("create", name="Split")),
    # Xero: one contact, both roles → the vendor links to the customer contact
    ("xero", "vendor", customers(MUNICH), {}, Decision("link", "x-munich")),
    # ... listed in both datasets, it is still one candidate
    ("xero", "vendor", customers(MUNICH) + suppliers(MUNICH), {}, Decision("link", "x-munich")),
    # the only match is another counterpart's → never two counterparts on one contact
    ("xero", "customer", customers(MUNICH), {"x-munich": "Split GmbH"},
     Decision("linked_elsewhere", "x-munich", candidates=(MUNICH.label, "Split GmbH"))),
    # the seeds: a name that leaves one candidate decides, whatever its city says
    ("xero", "customer", customers(BERLIN), {}, Decision("link", "x-berlin")),
    # QuickBooks: a customer's name held by a vendor → refused there: explained instead
    ("quickbooks_online", "customer", suppliers(MUNICH), {},
     Decision("name_in_use", name="Split", candidates=(MUNICH.label,))),
    # QuickBooks: a vendor never links to a customer (separate lists)
    ("quickbooks_online", "vendor", customers(BERLIN), {}, Decision("name_in_use", name="Split",
                                                                     candidates=(BERLIN.label,))),
    # a platform without known name rules: only the role's own dataset counts
    (None, "customer", suppliers(MUNICH), {}, Decision("create", name="Split")),
    (None, "customer", customers(BERLIN), {}, Decision("link", "x-berlin")),
])
def test_before_create(platform, role, found, taken, expected):
    assert before_create(SPLIT_MUNICH, role, platform, False, found, taken) == expected


def test_a_name_held_by_contacts_that_all_differ_is_explained_not_written():
    hamburg = Party("split", "Split", "DE", "Hamburg")
    assert before_create(hamburg, "customer", "xero", False, customers(BERLIN, MUNICH), {}) == \
        Decision("name_in_use", name="Split", candidates=(BERLIN.label, MUNICH.label))
    assert before_create(hamburg, "customer", None, False, customers(BERLIN, MUNICH), {}) == \
        Decision("create", name="Split")  # no known rule: the platform decides


def test_quickbooks_both_roles_vendor_gets_the_suffix_and_is_found_by_it():
    own_customer = customers(MUNICH)
    first = before_create(SPLIT_MUNICH, "vendor", "quickbooks_online", True, own_customer, {})
    assert first == Decision("create", name="Split (vendor)")
    made = Party("v-1", "Split (vendor)", "DE", "Munich", label="Split (vendor) (id v-1)")
    again = before_create(SPLIT_MUNICH, "vendor", "quickbooks_online", True, own_customer + suppliers(made), {})
    assert again == Decision("link", "v-1")
    plain = Party("v-2", "Split", "DE", "Munich")
    assert before_create(SPLIT_MUNICH, "vendor", "quickbooks_online", True, suppliers(plain), {}) == \
        Decision("link", "v-2")


@pytest.mark.parametrize("name, role, platform, both, expected", [
    ("Split", "vendor", "quickbooks_online", True, "Split (vendor)"),
    (" Split ", "vendor", "quickbooks_online_sandbox", True, "Split (vendor)"),
    ("Split", "customer", "quickbooks_online", True, "Split"),
    ("Split", "vendor", "quickbooks_online", False, "Split"),
    ("Split", "vendor", "xero", True, "Split"),
])
def test_contact_name(name, role, platform, both, expected):
    assert contact_name(name, role, platform, both) == expected


def test_look_ups_cover_what_the_platform_shares():
    assert look_ups("Split", "vendor", "xero", True) == [Query("suppliers", ("Split",)),
                                                         Query("customers", ("Split",))]
    assert look_ups("Split", "vendor", "quickbooks_online", True) == [
        Query("suppliers", ("Split", "Split (vendor)")), Query("customers", ("Split", "Split (vendor)"))]
    assert look_ups("Split", "customer", None, True) == [Query("customers", ("Split",))]


@pytest.mark.parametrize("role, both, first, waits", [
    ("vendor", True, "pending", True), ("vendor", True, "done", False), ("vendor", True, "error", False),
    ("vendor", False, "pending", False), ("customer", True, "pending", False),
])
def test_second_role_waits_for_the_first(role, both, first, waits):
    assert second_role_waits(role, both, first) is waits


def test_problems_name_the_candidates_and_say_what_to_do():
    several = problem(Decision("multiple_matches", candidates=("a (id 1)", "b (id 2)")), "customer", "Split", "Xero")
    assert several.code == "multiple_matches" and "a (id 1), b (id 2)" in several.message
    taken = problem(Decision("linked_elsewhere", "1", candidates=("a (id 1)", "Split GmbH")), "customer", "Split",
                    "Xero")
    assert taken.code == "multiple_matches" and "Split GmbH" in taken.message and taken.hint
    held = problem(Decision("name_in_use", name="Split", candidates=("a (id 1)",)), "vendor", "Split",
                   "QuickBooks Online")
    assert held.code == "name_in_use" and "a (id 1)" in held.message and "rename" in held.hint
    assert problem(Decision("link", "1"), "customer", "Split", "Xero") is None


@pytest.mark.parametrize("status, may", [(None, True), ("error", True), ("done", False), ("pending", False)])
def test_a_pull_matches_only_what_has_no_mapping(status, may):
    assert pull_may_match(status) is may


T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
T1 = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize("status, mirrored, mapped_at, listed_since, gone", [
    ("done", Mirrored(False, "Active"), T0, T1, None),        # renamed or not: known by id, kept
    ("done", Mirrored(True, "Active"), T0, T1, "deleted"),
    ("done", Mirrored(False, "Archived"), T0, T1, "archived"),
    ("done", None, T0, T1, "deleted"),                         # mapped, then a full listing lacks it
    ("done", None, T1, T0, None),                              # mapped after the listing began
    ("done", None, None, T1, None),
    ("error", Mirrored(True, None), T0, T1, None),             # only done records have a mapping to lose
    ("pending", Mirrored(True, None), T0, T1, None),
])
def test_mapped_object_gone(status, mirrored, mapped_at, listed_since, gone):
    assert mapped_object_gone(status, mirrored, mapped_at=mapped_at, listed_since=listed_since) == gone


CONNECTED = datetime(2026, 11, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize("kind, issued, invoice, paid, reason", [
    ("receivable", datetime(2026, 11, 10, 11, tzinfo=UTC), None, None, OLDER),
    ("receivable", datetime(2026, 11, 10, 13, tzinfo=UTC), None, None, None),
    ("bill", date(2026, 11, 9), None, None, OLDER),
    ("bill", date(2026, 11, 10), None, None, None),            # the same day cannot tell: pushed
    ("credit_note", datetime(2026, 11, 1, tzinfo=UTC), None, None, OLDER),
    ("credit_note", datetime(2026, 11, 11, tzinfo=UTC), Invoice(datetime(2026, 11, 1, tzinfo=UTC), False),
     None, OLDER_INVOICE),
    ("credit_note", datetime(2026, 11, 11, tzinfo=UTC), Invoice(datetime(2026, 11, 11, tzinfo=UTC), False),
     None, None),
    ("payment_record", None, Invoice(datetime(2026, 11, 1, tzinfo=UTC), False), "receivable", OLDER_INVOICE),
    ("payment_record", None, Invoice(datetime(2026, 11, 1, tzinfo=UTC), True), "receivable", None),
    ("payment_record", None, Invoice(datetime(2026, 11, 11, tzinfo=UTC), False), "receivable", None),
    ("payment_record", None, None, "receivable", None),
    ("payment_record", None, None, "payable", "only payments of receivables are pushed"),
])
def test_older_documents_stay_out(kind, issued, invoice, paid, reason):
    assert skip_reason(kind, issued, CONNECTED, invoice=invoice, paid_object=paid) == reason


def test_without_a_connection_date_nothing_is_older():
    assert skip_reason("bill", date(2000, 1, 1), None) is None


@pytest.mark.parametrize("name, role, platform, reads_as", [
    ("Split (vendor)", "vendor", "quickbooks_online", "Split"),
    ("Split (vendor) ", "vendor", "quickbooks_online_sandbox", "Split"),
    ("Split (vendor)", "customer", "quickbooks_online", "Split (vendor)"),
    ("Split (vendor)", "vendor", "xero", "Split (vendor)"),
    ("Split", "vendor", "quickbooks_online", "Split"),
])
def test_a_suffixed_vendor_reads_as_its_counterpart(name, role, platform, reads_as):
    assert as_counterpart(Party("v", name), role, platform).name == reads_as
