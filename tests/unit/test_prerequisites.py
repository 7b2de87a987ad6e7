"""The push prerequisites of seed 002, one table per document kind."""
from __future__ import annotations

import pytest

from services.sync.prerequisites import (
    Mapping,
    Party,
    TaxRate,
    check_bill,
    check_payment,
    check_sales_document,
    pick_tax_rate,
)

RATES = [TaxRate("t19", "Standard 19%", 1900), TaxRate("t7", "Reduced", 700), TaxRate("t0", "Exempt", 0),
         TaxRate("t16old", "Old 16%", 1600, "Archived"), TaxRate("t19b", "Another 19%", 1900)]
BY_ID = {"our-19": RATES[0], "our-7": RATES[1], "our-16": RATES[3]}
DONE = Mapping("done", "cust-1", None, "rec-c")
MAPPED = {"p1": ("Widget", Mapping("done", "item-1", None, "rec-p1"))}
ACME = Party("Acme", DONE)


def line(rate=1900, product="p1", rate_id=None):
    return {"product_id": product, "name": "Widget", "quantity": 1, "unit_price": 100, "vat_rate_value": rate,
            "vat_rate_id": rate_id}


def sales(lines, party=ACME, products=MAPPED):
    return check_sales_document(lines=lines, party=party, counterpart_id="c1", products=products, rates=RATES,
                                rates_by_id=BY_ID, system="Xero")


@pytest.mark.parametrize("lines, party, products, codes, ready", [
    ([line()], Party("Acme", DONE), MAPPED, [], True),
    # counterpart: unknown to ledgersync → explained error
    ([line()], None, MAPPED, ["counterpart_not_found"], False),
    # counterpart: ambiguous match in the accounting system → explained error
    ([line()], Party("Acme", Mapping("error", None, {"message": "2 customers match"}, "r")), MAPPED,
     ["counterpart_not_mapped"], False),
    # products: not mapped / ambiguous
    ([line(product="p2")], Party("Acme", DONE), MAPPED, ["product_not_mapped"], False),
    ([line()], Party("Acme", DONE), {"p1": ("Widget", Mapping("error", None, {}, "r"))}, ["product_not_mapped"], False),
    # tax: a value the accounting system lacks; an archived rate does not count
    ([line(rate=1600)], Party("Acme", DONE), MAPPED, ["tax_rate_not_found"], False),
    ([line(rate=1250)], Party("Acme", DONE), MAPPED, ["tax_rate_not_found"], False),
    # every unmet rule is reported, not just the first
    ([line(rate=1250, product="p9")], None, MAPPED,
     ["counterpart_not_found", "product_not_mapped", "tax_rate_not_found"], False),
])
def test_sales_documents(lines, party, products, codes, ready):
    verdict = sales(lines, party, products)
    assert sorted(e.code for e in verdict.errors) == sorted(codes)
    assert verdict.ready is ready
    if ready:
        assert verdict.counterpart_id == "cust-1" and verdict.items == {"p1": "item-1"}


def test_errors_name_the_object_the_value_and_what_to_do():
    [tax] = sales([line(rate=1250)]).errors
    assert tax.message == "No tax rate of 12.50% exists in Xero (line 'Widget')"
    assert "12.50%" in tax.hint and "push again" in tax.hint
    [product] = sales([line(product="p2")], products={"p2": ("Gizmo", Mapping())}).errors
    assert "'Gizmo'" in product.message and "p2" in product.message and "same name" in product.hint


def test_an_unmapped_counterpart_is_created_first_and_one_in_flight_is_waited_for():
    create = sales([line()], Party("New GmbH", Mapping()))
    assert create.create_counterpart and not create.errors and not create.ready
    wait = sales([line()], Party("New GmbH", Mapping("pending", None, None, "rec-c")))
    assert wait.wait_for == "rec-c" and not wait.errors and not wait.ready


@pytest.mark.parametrize("value, rate_id, expected", [
    (1900, None, "t19b"),          # several of that value: the first by name, deterministically
    (1900, "our-19", "t19"),       # the line's own rate id wins when its value agrees
    (700, "our-19", "t7"),         # ...and is ignored when it does not
    (1600, "our-16", None),        # an archived rate is not offered
    (0, None, "t0"),
])
def test_pick_tax_rate(value, rate_id, expected):
    picked = pick_tax_rate(RATES, value, BY_ID, rate_id)
    assert (picked.provider_id if picked else None) == expected


ACCOUNTS = {"acc-461": "p461"}


@pytest.mark.parametrize("lines, codes", [
    ([{"name": "Paper", "tax_rate_ref_id": "our-19", "ledger_account_id": "acc-461"}], []),
    ([], ["bill_has_no_line_items"]),
    ([{"name": "Paper"}], ["ledger_account_missing", "tax_rate_ref_missing"]),
    ([{"name": "Paper", "tax_rate_ref_id": "nope", "ledger_account_id": "gone"}],
     ["ledger_account_not_found", "tax_rate_not_found"]),
])
def test_bills(lines, codes):
    verdict = check_bill(lines=lines, party=Party("Supplier", Mapping("done", "sup-1")), counterpart_id="v1",
                         rates_by_id=BY_ID, accounts=ACCOUNTS, system="Xero")
    assert sorted(e.code for e in verdict.errors) == codes
    if not codes:
        assert verdict.ready and verdict.accounts == ["p461"] and verdict.tax[0].provider_id == "t19"


@pytest.mark.parametrize("invoice, account, codes, wait", [
    (Mapping("done", "inv-1"), "acc-461", [], None),
    (Mapping("done", "inv-1"), None, ["ledger_account_not_set"], None),
    (Mapping("done", "inv-1"), "acc-999", ["ledger_account_not_found"], None),
    (Mapping("pending", None, None, "rec-inv"), "acc-461", [], "rec-inv"),   # the invoice is on its way
    (Mapping(), "acc-461", ["invoice_not_pushed"], None),
    (Mapping("error", None, {}, "r"), "acc-461", ["invoice_not_pushed"], None),
])
def test_payments(invoice, account, codes, wait):
    verdict = check_payment(invoice=invoice, payments_account=account, accounts=ACCOUNTS, counterpart_id="c1",
                            party=Party("Acme", DONE), system="Xero")
    assert [e.code for e in verdict.errors] == codes and verdict.wait_for == wait
