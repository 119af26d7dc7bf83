"""Scenario 7: a new till enrolls with a hub that holds a large catalogue (DESIGN §4).

``node init --server --code`` redeems the code, then receives everything (snapshot or
pull) before it returns: the till starts with exactly the hub's catalogue. 50,000
articles, as the issue asks (``COMPTOIR_SCENARIO_ARTICLES`` to change it).
"""

from __future__ import annotations

import os
import time

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

ARTICLES = int(os.environ.get("COMPTOIR_SCENARIO_ARTICLES", "50000"))


def test_a_new_till_bootstraps_from_a_hub_with_many_articles(shop: Shop) -> None:
    hub = shop.hub_home
    started = time.monotonic()
    # Created in bulk (a captured write path) rather than by ``comptoir import articles``,
    # which takes 7-20 ms per row: test_crashes.py covers that path with 1,000 rows.
    shop.bulk_articles(hub, ARTICLES)
    print(f"  {ARTICLES} articles créés sur le hub : {time.monotonic() - started:.1f} s")
    # Some history on top of the import: an edit, an archived article, stock facts.
    shop.run(hub, "article", "set", "P000001", "--price", "9.99", "--name", "Produit modifié")
    shop.run(hub, "article", "set", "P000002", "--archived")
    shop.run(hub, "stock", "receive", "P000003", "12")
    shop.run(hub, "sell", "P000003:2")

    started = time.monotonic()
    till = shop.add_till("Caisse neuve")
    elapsed = time.monotonic() - started
    print(f"  enrôlement + réception de {ARTICLES} articles : {elapsed:.1f} s")

    on_hub = shop.json(hub, "article", "list")
    assert len(on_hub) >= ARTICLES - 1  # the archived one may be hidden from the list
    assert all(a["barcodes"] and a["category"] for a in on_hub)
    # Field by field, ids included (rows are born on the hub and keep their UUIDs).
    assert shop.json(till, "article", "list") == on_hub
    edited = shop.article(till, "P000001")
    assert (edited["price"], edited["name"]) == ("9.99", "Produit modifié")
    assert shop.stock(till, "P000003") == "10"  # derived from the facts: 12 - 2
    assert shop.invoice_numbers(till) == shop.invoice_numbers(hub)
    status = shop.json(till, "status")
    assert status["pull_failures"] == []
    assert status["pending"] == 0  # what it received is not sent back (no echo)
    shop.verify(till)  # identical, row by row
    # And it is a working till right away: a sale, a sync, the hub has it.
    shop.run(till, "sell", "P000004:1")
    shop.sync(till)
    assert shop.invoice_numbers(hub) == shop.invoice_numbers(till)
