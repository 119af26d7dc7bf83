"""``comptoir customer --credit-limit``, ``customer settle``, ``customer statement`` and
``sell --pay compte:… --over-limit`` (issue 18); a settlement in cash is in the drawer."""

from __future__ import annotations

import pytest

from comptoir.catalogue.services import article_create
from comptoir.sales.models import AccountSettlement
from tests.factories import db_state


@pytest.fixture
def shelf(till):
    article_create(code="RIZ", name="Riz 5 kg", sale_price="10.00")


def test_a_day_on_account_from_the_command_line(shelf, cli, cli_json, cli_fail):
    cli("customer", "add", "--code", "AWA", "--name", "Awa Diop", "--credit-limit", "25")
    cli("session", "open", "--float", "0")
    cli("sell", "RIZ:2", "--customer", "AWA", "--pay", "compte:20")
    state = db_state()
    assert "Plafond de crédit" in cli_fail("sell", "RIZ:1", "--customer", "AWA", "--pay", "compte")
    assert "demande un client" in cli_fail("sell", "RIZ:1", "--pay", "compte")
    assert db_state() == state
    cli("sell", "RIZ:1", "--customer", "AWA", "--pay", "compte", "--over-limit")
    statement = cli_json("customer", "settle", "AWA", "--amount", "12.50", "--pay", "cash")
    assert statement["balance"] == "17.50"
    assert [(m["kind"], m["debit"], m["credit"]) for m in statement["movements"]] == [
        ("sale", "20.00", "0.00"),
        ("sale", "10.00", "0.00"),
        ("settlement", "0.00", "12.50"),
    ]
    assert "Solde de Awa Diop : 17.50" in cli("customer", "statement", "AWA")
    assert "ne doit que 17,50" in cli_fail("customer", "settle", "AWA", "--amount", "20")
    assert "inconnu" in cli_fail("customer", "settle", "AWA", "--amount", "1", "--pay", "x")
    assert AccountSettlement.objects.count() == 1
    # The settlement in cash is in the drawer; the sales on account are not.
    x = cli_json("session", "x")
    assert x["settlements"] == {"cash": "12.50"}
    assert x["cash"]["expected"] == "12.50"
    cli("customer", "set", "AWA", "--credit-limit", "100")
    cli("sell", "RIZ:1", "--customer", "AWA", "--pay", "compte")
    assert cli_json("customer", "statement", "AWA")["balance"] == "27.50"
