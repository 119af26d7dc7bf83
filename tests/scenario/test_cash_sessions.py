"""Scenario: a till's cash sessions reach the hub once, as they were made (real hub and till)."""

from __future__ import annotations

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_sessions_movements_and_closings_reach_the_hub_exactly_once(shop: Shop) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    till = shop.add_till("Caisse 1")
    shop.run(till, "session", "open", "--float", "100", "--count", "50:2")
    shop.run(till, "sell", "A:2", "--pay", "cash:10")
    shop.run(till, "session", "cash-out", "20", "--reason", "Fournisseur")
    z = shop.json(till, "session", "close", "--counted", "84,50")
    assert z["cash"]["difference"] == "-0.50"
    sell = shop.run(till, "sell", "A:1")  # no session open: a new one, zero float
    assert "fond de caisse nul" in sell.stderr

    shop.sync(till)
    shop.sync(till)  # again: nothing new, nothing doubled
    on_till = shop.json(till, "session", "list")
    on_hub = shop.json(hub, "session", "list")
    assert [(s["till"], s["number"], s["status"]) for s in on_hub] == [
        ("C1", 2, "open"),
        ("C1", 1, "closed"),
    ]
    assert on_hub == on_till
    # Row by row, the closing's Z and the movement included.
    shop.verify(till)
    # The hub's own till has its own sessions; a till's session is not one of them.
    refused = shop.run(hub, "session", "x", check=False)
    assert refused.returncode == 2
    assert refused.stderr.startswith("Erreur : Aucune session de caisse")
