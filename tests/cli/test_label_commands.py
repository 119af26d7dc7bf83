"""``comptoir label-rule add|list`` and ``comptoir sell LABEL``: scale labels on the
command line, in euros and in F CFA (no minor unit)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from stdnum import ean

from comptoir.catalogue.models import LabelRule
from comptoir.catalogue.services import article_create
from comptoir.sales.models import Invoice
from comptoir.stores.models import Store
from comptoir.stores.services import store_get_or_create
from tests.factories import row_counts

pytestmark = pytest.mark.django_db


def label(first12: str) -> str:
    return first12 + ean.calc_check_digit(first12)


@pytest.fixture
def currency() -> str:
    return "EUR"


@pytest.fixture
def store(db: None, currency: str, settings: Any) -> Store:
    settings.COMPTOIR_CURRENCY = currency
    return store_get_or_create(name="Marché", currency=currency)


@pytest.fixture
def shelf(till: Any, currency: str) -> None:
    eur = currency == "EUR"
    article_create(code="123", name="Comté", sale_price="12.90" if eur else "4500", unit="kg")
    article_create(code="77", name="Baguette", sale_price="1.20" if eur else "250")


def test_label_rule_add_then_list(shelf, cli, cli_json):
    out = cli("label_rule", "add", "--prefix", "21", "--code-digits", "5", "--value", "weight")
    assert out.strip() == "Règle d'étiquette 21 ajoutée au magasin « Marché »."
    added = cli_json(
        "label_rule", "add", "--prefix", "22", "--code-digits", "4", "--value", "price"
    )
    assert added == {
        "prefix": "22",
        "name": "",
        "value": "price",
        "code_start": 3,
        "code_digits": 4,
        "value_start": 7,
        "value_digits": 6,
    }
    assert [r["prefix"] for r in cli_json("label_rule", "list")] == ["21", "22"]
    table = cli("label_rule", "list")
    assert "poids en grammes" in table
    assert "3-7" in table
    assert "8-12" in table
    out = cli("label_rule", "archive", "--prefix", "21")
    assert out.strip() == "Règle d'étiquette 21 retirée du magasin « Marché »."
    assert [r["prefix"] for r in cli_json("label_rule", "list")] == ["22"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prefix", "19", "--code-digits", "5", "--value", "weight"], "de 2 à 29"),
        (["--prefix", "23", "--code-digits", "10", "--value", "weight"], "positions 1 à 12"),
        (["--prefix", "21", "--code-digits", "5", "--value", "weight"], "déjà une règle"),
    ],
)
def test_label_rule_add_refuses_bad_rules_in_french(shelf, cli, cli_fail, args, message):
    cli("label_rule", "add", "--prefix", "21", "--code-digits", "5", "--value", "weight")
    before = row_counts()
    err = cli_fail("label_rule", "add", *args)
    assert err.startswith("Erreur : ")
    assert message in err
    assert row_counts() == before


def test_a_till_attached_to_a_hub_receives_rules_and_makes_none(shelf, cli_fail, settings):
    settings.COMPTOIR_ROLE = "node"
    settings.COMPTOIR_HUB_URL = "https://hub.example"
    err = cli_fail("label_rule", "add", "--prefix", "21", "--code-digits", "5", "--value", "weight")
    assert "se modifient sur le serveur" in err
    assert not LabelRule.objects.exists()


@pytest.mark.parametrize(
    ("currency", "value", "quantity", "total"),
    [("EUR", "01234", "1.234", "15.92"), ("XOF", "00350", "0.350", "1575")],
)
def test_sell_takes_a_weight_label(shelf, cli, cli_json, currency, value, quantity, total):
    cli("label_rule", "add", "--prefix", "21", "--code-digits", "5", "--value", "weight")
    data = cli_json("sell", label(f"2100123{value}"), "77:2")
    assert [(ln["article"], ln["quantity"]) for ln in data["lines"]] == [
        ("123", quantity),
        ("77", "2"),
    ]
    assert data["lines"][0]["total_incl_tax"] == total


@pytest.mark.parametrize(
    ("currency", "value", "quantity", "total"),
    [("EUR", "00325", "0.252", "3.25"), ("XOF", "01575", "0.350", "1575")],
)
def test_sell_takes_a_price_label_at_the_label_amount(
    shelf, cli, cli_json, currency, value, quantity, total
):
    cli("label_rule", "add", "--prefix", "22", "--code-digits", "5", "--value", "price")
    data = cli_json("sell", label(f"2200123{value}"))
    [line] = data["lines"]
    assert (line["article"], line["quantity"], line["total_incl_tax"]) == ("123", quantity, total)
    assert data["totals"]["incl_tax"] == total


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (label("210012301234")[:-1] + "0", "chiffre de contrôle est faux"),
        (label("219999901234"), "aucun article n'a le code « 99999 »"),
        (label("210007701234"), "ne se vend pas au kilogramme"),
        (label("210012301234") + ":2", "porte déjà sa quantité"),
    ],
)
def test_sell_refuses_a_bad_label_and_writes_nothing(shelf, cli, cli_fail, code, message):
    assert ean.is_valid(label("210012301234")[:-1] + "0") is False
    cli("label_rule", "add", "--prefix", "21", "--code-digits", "5", "--value", "weight")
    before = row_counts()
    err = cli_fail("sell", code)
    assert message in err
    assert row_counts() == before
    assert not Invoice.objects.exists()


def test_a_registered_barcode_in_the_label_range_keeps_its_article(shelf, cli, cli_json):
    code = label("210012301234")
    article_create(code="PLAT", name="Plateau", sale_price="9.00", barcodes=[code])
    cli("label_rule", "add", "--prefix", "21", "--code-digits", "5", "--value", "weight")
    [line] = cli_json("sell", code)["lines"]
    assert (line["article"], line["quantity"]) == ("PLAT", "1")
    assert Decimal(line["total_incl_tax"]) == Decimal("9.00")
