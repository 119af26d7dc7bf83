"""Scenario 3: concurrent stock writes converge to the ledger's value (DESIGN §2).

Stock is a ledger per (article, store): the level is the last inventory count plus the
movements dated after it, recomputed from facts on every side. It is never sent, so
every side must show the same number once the facts have travelled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _setup(shop: Shop) -> tuple[Path, Path]:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "40")
    till = shop.add_till("Caisse A")
    assert shop.stock(till, "A") == "40"
    return hub, till


def test_two_concurrent_sales_both_count_everywhere(shop: Shop) -> None:
    hub, till = _setup(shop)
    shop.run(till, "sell", "A:10")  # not synced yet: the hub does not know
    shop.run(hub, "sell", "A:5")  # online sale on the hub meanwhile
    assert shop.stock(till, "A") == "30"
    assert shop.stock(hub, "A") == "35"

    shop.sync(till)  # pull (gets the hub's sale), then push (sends the till's)
    # 40 - 10 - 5 = 25 on every side: both sales are facts, neither overwrites the other
    # (the seed's "last modification wins" would give 30 or 35 and lose a sale).
    assert shop.stock(hub, "A") == "25"
    assert shop.stock(till, "A") == "25"
    assert shop.article(hub, "A")["stock_quantity"] == "25"
    assert shop.article(till, "A")["stock_quantity"] == "25"


def test_a_count_taken_after_an_offline_sale_is_not_undone_when_the_sale_arrives(
    shop: Shop,
) -> None:
    hub, till = _setup(shop)
    other = shop.add_till("Caisse B")  # a bystander, to check the third side too

    shop.run(till, "sell", "A:10")  # t1: till A sells 10, offline (not synced)
    shop.run(hub, "sell", "A:5")  # t2: the hub sells 5
    shop.run(hub, "stock", "count", "A", "50")  # t3: 50 counted on the hub
    assert shop.stock(hub, "A") == "50"
    assert shop.stock(till, "A") == "30"

    shop.sync(till)  # the sale of t1 reaches the hub after the count of t3
    shop.sync(other)
    # The level is the last count plus the movements after it (DESIGN §2): the count of 50
    # at t3, and no sale after it (the hub's 5 at t2 and A's 10 at t1 were both before the
    # count, so the count already reflects them). A's late-arriving sale does not undo the
    # count: 50 everywhere, not 40.
    for home in (hub, till, other):
        assert shop.stock(home, "A") == "50", home.name
    # Both sales are still there, once each, as facts.
    numbers = shop.invoice_numbers(hub)
    assert sorted(n.split("-")[0] for n in numbers) == ["C1", "WEB"]
    assert set(numbers.values()) == {1}
    assert shop.invoice_numbers(till) == numbers == shop.invoice_numbers(other)

    # And a sale after the count does count: 50 - 3 = 47 everywhere.
    shop.run(till, "sell", "A:3")
    shop.sync(till)
    shop.sync(other)
    for home in (hub, till, other):
        assert shop.stock(home, "A") == "47", home.name
    shop.verify(till)
    shop.verify(other)
