from __future__ import annotations

import json

from comptoir.catalogue.models import Article, Supplier
from comptoir.customers.models import Customer
from comptoir.stock.services import stock_receive


def test_article_add_prints_the_article_as_json(cli_json):
    cli_json("supplier", "add", "--code", "F1", "--name", "Fournil")
    data = cli_json(
        "article", "add", "--code", "PAIN", "--name", "Baguette", "--price", "1,20",
        "--vat", "5.5", "--cost", "0.40", "--barcode", "3017620422003", "--barcode", "X-1",
        "--category", "Boulangerie", "--supplier", "F1", "--alert", "10",
    )  # fmt: skip
    assert data == {
        "id": str(Article.objects.get(code="PAIN").pk),
        "code": "PAIN",
        "name": "Baguette",
        "price": "1.20",
        "vat_rate": "5.50",
        "cost": "0.40",
        "unit": "piece",
        "alert_threshold": "10",
        "category": "Boulangerie",
        "supplier": "F1",
        "barcodes": ["3017620422003", "X-1"],
        "stock_quantity": "0",
        "archived": False,
    }


def test_article_set_changes_only_the_given_fields_and_adds_barcodes(cli_json):
    cli_json(
        "article", "add", "--code", "A", "--name", "Pomme", "--price", "2.50", "--barcode", "B1"
    )
    data = cli_json("article", "set", "A", "--price", "2.70", "--barcode", "B2", "--unit", "kg")
    assert (data["name"], data["price"], data["unit"]) == ("Pomme", "2.70", "kg")
    assert data["barcodes"] == ["B1", "B2"]
    assert cli_json("article", "set", "A", "--archived")["archived"] is True
    assert cli_json("article", "set", "A", "--active")["archived"] is False


def test_article_list_has_stock_totals_search_archived_and_limit(cli, cli_json):
    for code in ("A", "B", "C"):
        cli("article", "add", "--code", code, "--name", f"Article {code}", "--price", "1")
    cli("article", "set", "C", "--archived")
    stock_receive(article="B", quantity="4")
    rows = cli_json("article", "list")
    assert [(r["code"], r["stock_quantity"]) for r in rows] == [("A", "0"), ("B", "4")]
    assert [r["code"] for r in cli_json("article", "list", "--archived")] == ["A", "B", "C"]
    assert [r["code"] for r in cli_json("article", "list", "--limit", "1")] == ["A"]
    assert [r["code"] for r in cli_json("article", "list", "--search", "article b")] == ["B"]
    # --json placed before the action works too
    assert len(json.loads(cli("article", "--json", "list"))) == 2


def test_article_list_prints_a_french_table(cli):
    cli("article", "add", "--code", "A", "--name", "Pomme", "--price", "2.50")
    text = cli("article", "list")
    assert "Désignation" in text
    assert "Pomme" in text
    assert "2,50\u00a0€" in text  # as the screens show it


def test_article_add_with_a_bad_price_says_why_in_french_and_writes_nothing(cli_fail):
    err = cli_fail("article", "add", "--code", "A", "--name", "Pomme", "--price", "2.505")
    assert "Erreur : Montant « 2.505 » : au plus 2 décimale(s) en EUR." in err
    assert not Article.objects.exists()


def test_article_set_of_an_unknown_article_fails(cli_fail):
    assert "Article inconnu : « NOPE »" in cli_fail("article", "set", "NOPE", "--price", "1")


def test_customer_add_set_list(cli_json):
    created = cli_json("customer", "add", "--name", "Mme Martin", "--phone", "06 01 02 03 04")
    assert created["code"].startswith("CL-")
    assert set(created) == {
        "id", "code", "name", "phone", "email", "address", "siren", "vat_number", "archived"
    }  # fmt: skip
    by_id = cli_json("customer", "set", created["id"], "--email", "m@example.org")
    assert by_id["email"] == "m@example.org"
    by_code = cli_json("customer", "set", created["code"], "--siren", "732 829 320")
    assert by_code["siren"] == "732829320"
    cli_json("customer", "add", "--name", "Boulangerie Dupont", "--code", "DUP")
    assert [c["code"] for c in cli_json("customer", "list", "--search", "dupont")] == ["DUP"]
    assert len(cli_json("customer", "list")) == 2


def test_customer_with_a_bad_email_is_refused(cli_fail):
    err = cli_fail("customer", "add", "--name", "X", "--email", "pas-une-adresse")
    assert "Adresse e-mail invalide" in err
    assert not Customer.objects.exists()


def test_supplier_add_set_list(cli_json):
    cli_json(
        "supplier", "add", "--code", "F1", "--name", "Fournil", "--vat-number", "FR40303265045"
    )
    data = cli_json("supplier", "set", "F1", "--name", "Fournil du coin", "--archived")
    assert (data["name"], data["vat_number"], data["archived"]) == (
        "Fournil du coin",
        "FR40303265045",
        True,
    )
    assert cli_json("supplier", "list") == []
    assert [s["code"] for s in cli_json("supplier", "list", "--archived")] == ["F1"]
    assert Supplier.objects.get().name == "Fournil du coin"
