"""Scenario: a till signs its fiscal records with its own key, the hub (on PostgreSQL)
receives them with its public key and finds every chain whole; a record altered in the
till's database is named by ``journal verify`` (real hub and till processes)."""

from __future__ import annotations

import stat
import sys

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _chains(document: dict) -> dict[tuple[str, str], tuple[str, int]]:
    return {(c["post"], c["chain"]): (c["status"], c["count"]) for c in document["chains"]}


def test_a_tills_journal_is_whole_on_the_hub_and_an_alteration_is_named(shop: Shop) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    till = shop.add_till("Caisse 1")
    key = till / "fiscal-key.pem"
    if sys.platform != "win32":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    shop.run(till, "session", "open", "--float", "100")
    first = shop.json(till, "sell", "A:2")
    shop.run(till, "sell", "A:1")
    shop.run(till, "session", "cash-out", "5", "--reason", "Fournisseur")
    shop.run(till, "session", "close", "--counted", "102,50")
    mine = shop.json(till, "journal", "verify")
    assert mine["ok"] is True
    chains = _chains(mine)
    # The technical events are a chain too (session opened and closed, verifications...):
    # whole, their count depending on what the post logged meanwhile.
    assert chains.pop(("C1", "event"))[0] == "whole"
    assert chains == {
        ("C1", "doc"): ("whole", 2),
        ("C1", "sess"): ("whole", 2),
        ("C1", "move"): ("whole", 1),
    }

    shop.sync(till)
    on_hub = shop.json(hub, "journal", "verify", "--post", "C1")
    assert on_hub["ok"] is True
    hub_chains = _chains(on_hub)
    assert hub_chains.pop(("C1", "event"))[0] == "whole"
    assert hub_chains == chains  # checked with the key the till enrolled with

    # Someone with the till's database file rewrites a sale.
    update = f"UPDATE sales_invoice SET total_incl_tax = 1 WHERE number = '{first['number']}'"
    shop.shell(
        till,
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('DROP TRIGGER sales_invoice_immutable_upd')\n"
        f"    c.execute({update!r})\n"
        "out = True\n",
    )
    broken = shop.run(till, "journal", "verify", check=False)
    assert broken.returncode == 1
    assert first["number"] in broken.stdout
    assert "enregistrement modifié" in broken.stdout
    status = shop.json(till, "status")
    assert status["journal"]["status"] == "broken"
