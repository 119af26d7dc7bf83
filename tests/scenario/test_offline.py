"""Scenario 2: the hub is down, both tills keep selling, everything arrives once."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_two_tills_sell_while_the_hub_is_down_and_converge_when_it_returns(shop: Shop) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "article", "add", "--code", "B", "--name", "Article B", "--price", "1.20")
    shop.run(hub, "stock", "receive", "A", "40")
    shop.run(hub, "stock", "receive", "B", "100")
    t1 = shop.add_till("Caisse 1")
    t2 = shop.add_till("Caisse 2")

    # One sale each while online, synced: the series are started on the hub.
    shop.run(t1, "sell", "A:1")
    shop.run(t2, "sell", "B:1")
    shop.sync(t1)
    shop.sync(t2)

    shop.hub.stop()
    sales = [(t1, ["A:2"]), (t2, ["A:3"]), (t1, ["B:4"]), (t2, ["B:5"]), (t1, ["A:1", "B:1"])]
    for home, items in sales:
        shop.run(home, "sell", *items)
    # Numbers continue in each till's own series, no gap, no coordination (DESIGN §2).
    # (t2 already holds C1's first invoice: it pulled it when it synced after t1.)
    assert series(shop.invoice_numbers(t1)) == [("C1", n) for n in range(1, 5)]
    assert series(shop.invoice_numbers(t2)) == [("C1", 1)] + [("C2", n) for n in range(1, 4)]

    for home in (t1, t2):
        failed = shop.run(home, "sync", check=False)
        # Offline: a non-zero exit and a plain reason in French, never a success message.
        assert failed.returncode != 0
        assert "Synchronisation réussie" not in failed.stdout
        assert "Serveur injoignable" in failed.stderr, failed.stderr
        status = shop.json(home, "status")
        assert status["online"] is False
        assert status["offline_since"] is not None
        assert status["pending"] == {t1: 3, t2: 2}[home]  # its invoices made offline wait
        assert "injoignable" in status["last_error"]

    shop.hub.start()  # same home, same database, same port
    # Not identical yet: verify says so (non-zero), as long as the invoices wait.
    assert shop.run(t1, "verify", check=False).returncode != 0
    for home in (t1, t2, t1):  # t1 again to receive what t2 pushed after t1's pull
        shop.sync(home)

    on_hub = shop.invoice_numbers(hub)
    # Every invoice exactly once on the hub (insert-once facts, idempotent push).
    assert set(on_hub.values()) == {1}
    assert series(on_hub) == [("C1", n) for n in range(1, 5)] + [("C2", n) for n in range(1, 4)]
    # The store is shared: each till also holds the other's invoices, once.
    assert shop.invoice_numbers(t1) == on_hub
    assert shop.invoice_numbers(t2) == on_hub
    # Derived stock is identical on all three sides: A 40-1-2-3-1 = 33, B 100-1-4-5-1 = 89.
    for home in (hub, t1, t2):
        stock = {a["code"]: a["stock_quantity"] for a in shop.json(home, "article", "list")}
        assert stock == {"A": "33", "B": "89"}, home.name
    for home in (t1, t2):
        status = shop.json(home, "status")
        assert status["online"] is True
        assert status["pending"] == 0
    assert shop.json(t1, "stats") == shop.json(hub, "stats") == shop.json(t2, "stats")
    # DESIGN §4: verify compares model by model and row by row, derived data included.
    shop.verify(t1)
    shop.verify(t2)


def series(numbers: Counter[str]) -> list[tuple[str, int]]:
    """``C1-2026-000003`` → ``("C1", 3)``, sorted; each number once."""
    out = []
    for number, count in numbers.items():
        assert count == 1, number
        prefix, year, counter = number.split("-")
        assert len(year) == 4, number
        assert len(counter) == 6, number
        out.append((prefix, int(counter)))
    return sorted(out)
