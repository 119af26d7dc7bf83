"""Scenario 1, the seed's example: 40 in stock, the till sells 10, one ``comptoir sync``."""

from __future__ import annotations

import time

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_a_sale_at_the_till_reaches_the_hub_after_one_sync(shop: Shop) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "40")
    till = shop.add_till("Caisse 1")
    # Enrollment pulled the catalogue and the stock facts: the till starts where the hub is.
    assert shop.stock(till, "A") == "40"

    sold = shop.run(till, "sell", "A:10")
    # Per-till series (DESIGN §2): the first till enrolled gets prefix C1, counter from 1.
    assert "C1-" in sold.stdout
    number = next(w for w in sold.stdout.split() if w.startswith("C1-"))
    assert number.endswith("-000001")
    assert shop.invoice_numbers(hub) == {}  # nothing has left the till yet

    started = time.monotonic()
    result = shop.sync(till)
    print(f"  sync : {time.monotonic() - started:.2f} s — {result.stdout.strip()!r}")
    assert "1 facture" in result.stdout

    # The invoice is a fact: inserted once on the hub, with its number and amounts.
    invoices = shop.json(hub, "invoice", "list")
    assert [(i["number"], i["till"], i["total_incl_tax"]) for i in invoices] == [
        (number, "C1", "25.00")
    ]
    # Stock is derived from the facts (DESIGN §2): receipt 40, sale -10 → 30, on both sides.
    assert shop.stock(hub, "A") == "30"
    assert shop.stock(till, "A") == "30"
    # Revenue is derived too: recomputed on the hub when the invoice arrived: 10 × 2.50.
    stats = shop.json(hub, "stats")
    assert [(d["invoice_count"], d["revenue_incl_tax"]) for d in stats] == [(1, "25.00")]
    assert shop.json(till, "stats") == stats

    status = shop.json(till, "status")
    assert status["online"] is True
    assert status["pending"] == 0
    assert status["rejected"] == []
