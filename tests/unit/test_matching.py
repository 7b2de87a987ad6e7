"""Every branch of the seeds' matching rules, as tables."""
from __future__ import annotations

import pytest

from services.sync.matching import Party, match_counterparts, match_products, narrow, norm

ACME_DE_BERLIN_A = Party("p1", "Acme GmbH", "DE", "Berlin", "Hauptstr. 1")
ACME_DE_BERLIN_B = Party("p2", "Acme GmbH", "DE", "Berlin", "Nebenweg 7")
ACME_DE_MUNICH = Party("p3", "Acme GmbH", "DE", "München", "Hauptstr. 1")
ACME_FR = Party("p4", "Acme GmbH", "FR", "Paris", "Rue 1")
OTHER = Party("p5", "Other Ltd", "GB", "London", "1 High St")


@pytest.mark.parametrize("target, candidates, expected", [
    # name alone decides when it leaves exactly one
    (Party("c", "Other Ltd"), [ACME_FR, OTHER], ["p5"]),
    # name is case- and whitespace-insensitive
    (Party("c", "  other   LTD "), [OTHER], ["p5"]),
    # no name match → nothing
    (Party("c", "Nobody"), [ACME_FR, OTHER], []),
    # a blank name never matches
    (Party("c", " "), [Party("x", " ")], []),
    # same name, country decides
    (Party("c", "Acme GmbH", "FR"), [ACME_DE_BERLIN_A, ACME_FR], ["p4"]),
    # same name and country, city decides
    (Party("c", "Acme GmbH", "DE", "münchen"), [ACME_DE_BERLIN_A, ACME_DE_MUNICH], ["p3"]),
    # same name, country and city, address decides
    (Party("c", "Acme GmbH", "DE", "Berlin", "Nebenweg 7"), [ACME_DE_BERLIN_A, ACME_DE_BERLIN_B], ["p2"]),
    # everything equal → still several
    (Party("c", "Acme GmbH", "DE", "Berlin", "Hauptstr. 1"),
     [ACME_DE_BERLIN_A, Party("p9", "Acme GmbH", "DE", "Berlin", "Hauptstr. 1")], ["p1", "p9"]),
    # the target's country is unknown → country cannot narrow; city still can
    (Party("c", "Acme GmbH", None, "Paris"), [ACME_DE_BERLIN_A, ACME_FR], ["p4"]),
    # the target's attributes are all unknown → several stay
    (Party("c", "Acme GmbH"), [ACME_DE_BERLIN_A, ACME_FR], ["p1", "p4"]),
    # a country no candidate has → none left (not the same business)
    (Party("c", "Acme GmbH", "US"), [ACME_DE_BERLIN_A, ACME_FR], []),
    # a candidate that does not say its country is not ruled out by it
    (Party("c", "Acme GmbH", "FR"), [ACME_DE_BERLIN_A, Party("p8", "Acme GmbH")], ["p8"]),
    (Party("c", "Acme GmbH", "DE"), [ACME_DE_BERLIN_A, Party("p8", "Acme GmbH")], ["p1", "p8"]),
    # order matters: once one is left, later attributes are not compared
    (Party("c", "Acme GmbH", "FR", "Lyon"), [ACME_DE_BERLIN_A, ACME_FR], ["p4"]),
])
def test_narrow(target, candidates, expected):
    assert [p.id for p in narrow(target, candidates)] == expected


@pytest.mark.parametrize("partner, provider, expected", [
    ([Party("c1", "Other Ltd")], [OTHER, ACME_FR], [("matched", "c1", "p5")]),
    ([Party("c1", "Nobody")], [OTHER], [("unmatched", "c1", None)]),
    ([Party("c1", "Acme GmbH")], [ACME_DE_BERLIN_A, ACME_FR], [("multiple_matches", "c1", None)]),
    # two partner counterparts with the same name for one provider customer → both in error
    ([Party("c1", "Other Ltd"), Party("c2", "Other Ltd")], [OTHER],
     [("multiple_matches", "c1", "p5"), ("multiple_matches", "c2", "p5")]),
    # ...unless their details tell them apart
    ([Party("c1", "Other Ltd", "GB"), Party("c2", "Other Ltd", "IE")], [OTHER],
     [("matched", "c1", "p5"), ("unmatched", "c2", None)]),
    ([Party("c1", "Acme GmbH", "DE", "Berlin", "Nebenweg 7"), Party("c2", "Acme GmbH", "FR")],
     [ACME_DE_BERLIN_A, ACME_DE_BERLIN_B, ACME_FR],
     [("matched", "c1", "p2"), ("matched", "c2", "p4")]),
])
def test_match_counterparts(partner, provider, expected):
    got = [(o.kind, o.object_id, o.provider_id) for o in match_counterparts(partner, provider)]
    assert got == expected


def test_multiple_matches_name_the_candidates():
    [outcome] = match_counterparts([Party("c1", "Acme GmbH")],
                                   [Party("p1", "Acme GmbH", label="Acme GmbH (DE, Berlin)"),
                                    Party("p2", "Acme GmbH", label="Acme GmbH (FR, Paris)")])
    assert outcome.candidates == ("Acme GmbH (DE, Berlin)", "Acme GmbH (FR, Paris)")


WIDGET = Party("i1", "Widget")
GADGET = Party("i2", "Gadget")


@pytest.mark.parametrize("products, items, outcomes, created", [
    ([Party("x1", "widget")], [WIDGET, GADGET], [("matched", "x1", "i1")], ["i2"]),
    ([Party("x1", "Nothing")], [], [("unmatched", "x1", None)], []),
    # two items of the product's name → error, nothing created
    ([Party("x1", "Widget")], [WIDGET, Party("i3", "WIDGET")], [("multiple_matches", "x1", None)], []),
    # two products of the item's name → both in error
    ([Party("x1", "Widget"), Party("x2", "Widget")], [WIDGET],
     [("multiple_matches", "x1", "i1"), ("multiple_matches", "x2", "i1")], []),
    # an item with a new name is created once, even when it is the only data
    ([], [GADGET], [], ["i2"]),
    # two items sharing a new name: ambiguous, nothing created
    ([], [GADGET, Party("i4", "gadget")], [], []),
    # products match by name alone: other attributes are irrelevant
    ([Party("x1", "Widget", "DE")], [Party("i1", "Widget", "FR")], [("matched", "x1", "i1")], []),
])
def test_match_products(products, items, outcomes, created):
    result = match_products(products, items)
    assert [(o.kind, o.object_id, o.provider_id) for o in result.outcomes] == outcomes
    assert [i.id for i in result.to_create] == created


def test_norm():
    assert norm("  Bäckerei   MÜLLER ") == "bäckerei müller"
    assert norm("") is None and norm(None) is None
