"""Scenario 4: concurrent edits of one article on two tills (DESIGN §2, reference data).

Reference data merges per field, last writer wins on a hybrid logical clock, and every
value that loses to a concurrent edit is kept in the conflict log (once, where it lost).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

CONFLICTS = """
from comptoir.sync.models import ConflictLog
out = [
    {"model": c.model, "row": str(c.row_id), "field": c.field,
     "kept": c.kept_value, "lost": c.lost_value, "kept_clock": c.kept_clock,
     "lost_clock": c.lost_clock}
    for c in ConflictLog.objects.order_by("id")
]
"""


def _setup(shop: Shop) -> tuple[Path, Path, Path]:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    return hub, shop.add_till("Caisse A"), shop.add_till("Caisse B")


def _conflicts(shop: Shop, home: Path, row: str, field: str) -> list[dict[str, Any]]:
    return [c for c in shop.shell(home, CONFLICTS) if c["row"] == row and c["field"] == field]


def test_edits_of_different_fields_on_two_tills_both_survive(shop: Shop) -> None:
    hub, till_a, till_b = _setup(shop)
    shop.run(till_a, "article", "set", "A", "--price", "3.00")  # neither till has synced
    shop.run(till_b, "article", "set", "A", "--name", "Article A (nouveau nom)")

    for home in (till_a, till_b, till_a, till_b):  # sync both, then sync again
        shop.sync(home)

    # Per-field merge: A's price and B's name both survive, on all three sides.
    for home in (hub, till_a, till_b):
        article = shop.article(home, "A")
        assert (article["price"], article["name"]) == ("3.00", "Article A (nouveau nom)"), home


def test_a_late_arriving_earlier_edit_loses_on_the_hub_and_is_logged(shop: Shop) -> None:
    hub, till_a, till_b = _setup(shop)
    row = shop.article(hub, "A")["id"]
    shop.run(till_a, "article", "set", "A", "--price", "3.00")  # t1
    shop.run(till_b, "article", "set", "A", "--price", "4.00")  # t2 > t1: the later edit

    shop.sync(till_b)  # the later edit reaches the hub first
    shop.sync(till_a, "--mode", "push")  # then the earlier one arrives: it must lose
    assert shop.article(hub, "A")["price"] == "4.00"
    logged = _conflicts(shop, hub, row, "sale_price")
    assert any(c["lost"] == 300 and c["kept"] == 400 for c in logged), logged

    for home in (till_a, till_b):
        shop.sync(home)
    # Last writer wins by clock, not by arrival order: 4.00 everywhere.
    for home in (hub, till_a, till_b):
        assert shop.article(home, "A")["price"] == "4.00", home.name
    # Till A's 3.00 had reached the hub, which logged its loss: A does not log it again
    # when 4.00 arrives, and B's own edit (a plain successor on the hub) is no conflict.
    assert not _conflicts(shop, till_a, row, "sale_price")
    assert not _conflicts(shop, till_b, row, "sale_price")
    assert [(c["kept"], c["lost"]) for c in logged] == [(400, 300)]
    shop.verify(till_a)
    shop.verify(till_b)
