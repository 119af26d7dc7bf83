"""Issue 17: the hub compacts its change log past an offline till's cursor; the till comes
back, takes a snapshot of the hub's state instead of the log, keeps its unsent sales and
pushes them. Real hub (``comptoir serve`` on PostgreSQL), real tills, HTTP on loopback.
"""

from __future__ import annotations

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_a_till_behind_the_compacted_log_re_bootstraps_and_keeps_its_sales(shop: Shop) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "50")
    t1 = shop.add_till("Caisse 1")
    t2 = shop.add_till("Caisse 2")
    shop.run(t1, "sell", "A:1")
    shop.sync(t1)

    # t1 is away: it sells without syncing, while the hub and t2 go on.
    offline = [shop.json(t1, "sell", "A:2")["number"], shop.json(t1, "sell", "A:3")["number"]]
    for n in range(3):  # each edit supersedes the one before in the log
        shop.run(hub, "article", "set", "A", "--name", f"Article A v{n}")
    shop.run(t2, "sell", "A:4")
    shop.sync(t2)

    # A horizon of nothing: the whole log is cut, past t1's cursor.
    report = shop.json(hub, "hub", "compact", "--before-seq", "1000000000", "--json")
    assert report["superseded"] >= 2
    assert report["expired"] > 0
    assert report["entries_after"] == 0
    assert report["bytes_before"] > 0

    shop.sync(t1)  # told it is behind (410): snapshot, then its sales leave
    status = shop.json(t1, "status")
    assert status["pending"] == 0
    assert status["pull_failures"] == []
    on_hub = shop.invoice_numbers(hub)
    assert all(on_hub[number] == 1 for number in offline)
    assert shop.article(t1, "A")["name"] == "Article A v2"
    shop.sync(t2)
    assert shop.invoice_numbers(t1) == shop.invoice_numbers(t2) == on_hub
    for home in (t1, t2):
        shop.verify(home)
        journal = shop.json(home, "journal", "verify")
        assert journal["ok"] is True, journal
    assert shop.json(hub, "journal", "verify")["ok"] is True
    # A till enrolled now starts from the snapshot too (the log holds nothing before).
    t3 = shop.add_till("Caisse 3")
    assert shop.invoice_numbers(t3) == on_hub
    shop.verify(t3)
