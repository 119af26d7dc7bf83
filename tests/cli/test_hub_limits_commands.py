"""The CLI refuses, with exit code 2 and a French sentence, a fact the hub would refuse
(issue 13.1): the first path a 200-character cashier's name reached. Nothing is written
and no number is used."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.catalogue.services import article_create
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stock.services import stock_receive
from comptoir.stores.models import SeriesCounter
from comptoir.sync.models import OutboxEntry
from tests.factories import db_state


@pytest.fixture
def shelf(till: Any) -> None:
    article_create(code="A01", name="Pomme", sale_price="2.50")
    stock_receive(article="A01", quantity="20")


def test_sell_with_a_cashier_too_long_for_the_hub_exits_2_and_uses_no_number(
    shelf: None, cli_fail: Any
) -> None:
    before = (db_state(), OutboxEntry.objects.count())
    err = cli_fail("sell", "A01:1", "--pay", "card", "--cashier", "x" * 200)
    assert err == "Erreur : Caissier (vente en cours) : 200 caractères, 150 au plus.\n"
    assert (db_state(), OutboxEntry.objects.count()) == before
    assert not SeriesCounter.objects.filter(last_number__gt=0, kind="invoice").exists()


def test_a_cashier_of_exactly_150_characters_is_validated(shelf: None) -> None:
    invoice = invoice_sell(lines=[SaleLine("A01", "1")], cashier="é" * 150)
    assert invoice.number.endswith("-000001")


def test_a_stock_note_too_long_is_refused_from_the_cli(shelf: None, cli_fail: Any) -> None:
    before = db_state()
    err = cli_fail("stock", "receive", "A01", "2", "--note", "n" * 201)
    assert "Note (mouvement de stock) : 201 caractères, 200 au plus." in err
    assert db_state() == before
