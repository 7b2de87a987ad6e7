"""The sandbox's ledger datasets keep the numbers a platform holds unique in an index, so a
write's duplicate check is one look-up however long the run; the index follows every way a
record is stored or removed, and copies keep it. Idempotency keys expire oldest first."""
from __future__ import annotations

import copy

from services.sandbox_provider import push
from services.sandbox_provider.ledger import Dataset, add_record, replace_record, taken
from services.sandbox_provider.seed import seed_ledger
from services.sandbox_provider.state import Company


def test_a_stored_number_is_taken_until_its_record_changes_or_goes():
    invoices = Dataset()
    first = add_record(invoices, {"invoiceNumber": "INV-1"})
    assert taken(invoices, "invoiceNumber", "INV-1") and not taken(invoices, "invoiceNumber", "INV-2")
    replace_record(invoices, first["id"], {"invoiceNumber": "INV-2"})
    assert not taken(invoices, "invoiceNumber", "INV-1") and taken(invoices, "invoiceNumber", "INV-2")
    invoices.pop(first["id"])
    assert not taken(invoices, "invoiceNumber", "INV-2")
    invoices.update({"x": {"invoiceNumber": "INV-3"}})
    invoices.setdefault("y", {"invoiceNumber": "INV-4"})
    assert taken(invoices, "invoiceNumber", "INV-3") and taken(invoices, "invoiceNumber", "INV-4")
    del invoices["x"]
    invoices.clear()
    assert not taken(invoices, "invoiceNumber", "INV-3") and not taken(invoices, "invoiceNumber", "INV-4")


def test_copies_keep_their_own_index_and_plain_dicts_are_scanned():
    items = Dataset({"a": {"code": "CONS-HR"}})
    snapshot = copy.deepcopy(items)
    items.pop("a")
    assert type(snapshot) is Dataset and taken(snapshot, "code", "CONS-HR") and not taken(items, "code", "CONS-HR")
    assert taken({"b": {"code": "X"}}, "code", "X") and not taken({"b": {"code": "X"}}, "code", "Y")


def test_a_seeded_ledger_indexes_its_numbers():
    ledger = seed_ledger("company-1")
    assert all(type(dataset) is Dataset for dataset in ledger.values())
    number = next(iter(ledger["invoices"].values()))["invoiceNumber"]
    assert taken(ledger["invoices"], "invoiceNumber", number)


def test_idempotency_keys_expire_oldest_first_and_a_reused_key_moves_to_the_end(monkeypatch):
    company, now = Company(id="c", name="C", redirect="", tags={}, portal=""), [0.0]
    monkeypatch.setattr(push.time, "monotonic", lambda: now[0])
    push._remember(company, "k1", "f1", {})
    now[0] = 10.0
    push._remember(company, "k2", "f2", {})
    now[0] = 20.0
    push._remember(company, "k1", "f1", {})  # seen again: now the newest
    now[0] = 10.0 + push.IDEMPOTENCY_TTL_S + 1  # k2 expired; k1 (at 20) not yet
    push._remember(company, "k3", "f3", {})
    assert list(company.idempotency) == ["k1", "k3"]
