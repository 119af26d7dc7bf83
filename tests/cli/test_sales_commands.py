from __future__ import annotations

from decimal import Decimal

import pytest

from comptoir.catalogue.services import article_create
from comptoir.sales.models import CreditNote, Invoice
from comptoir.stock.selectors import article_stock_total
from comptoir.stock.services import stock_receive


@pytest.fixture
def shelf(till):
    article_create(code="A", name="Pomme", sale_price="2.50", barcodes=["3017620422003"])
    article_create(code="V", name="Vrac", sale_price="10.00", vat_rate="5.5", unit="kg")
    stock_receive(article="A", quantity="20")


def stock_of(code: str) -> Decimal:
    from comptoir.catalogue.models import Article

    return article_stock_total(article_id=Article.objects.get(code=code).pk)


def test_sell_with_cash_gives_change_and_prints_the_whole_invoice(shelf, cli_json):
    data = cli_json("sell", "A:2", "V:0,750:10", "--pay", "cash:20")
    assert data["number"].startswith("C1-")
    assert data["number"].endswith("-000001")
    assert data["totals"] == {
        "excl_tax": "10.57",
        "tax": "1.18",
        "incl_tax": "11.75",
        "paid": "20.00",
    }
    assert data["change_given"] == "8.25"
    assert [(ln["article"], ln["quantity"], ln["total_incl_tax"]) for ln in data["lines"]] == [
        ("A", "2", "5.00"),
        ("V", "0.750", "6.75"),
    ]
    assert [t["vat_rate"] for t in data["taxes"]] == ["5.50", "20.00"]
    assert data["payments"] == [{"method": "cash", "amount": "20.00", "reference": ""}]
    assert data["validated_at"].endswith(("+01:00", "+02:00"))  # local time, Europe/Paris
    assert stock_of("A") == 18


def test_sell_prints_the_number(shelf, cli):
    assert cli("sell", "A:1").startswith("Facture C1-")
    assert Invoice.objects.get().payments.get().method == "cash"  # exact cash by default


def test_sell_with_mixed_payments_card_takes_the_rest(shelf, cli_json):
    data = cli_json("sell", "3017620422003:4", "--pay", "cash:3", "--pay", "card")
    assert data["totals"]["incl_tax"] == "10.00"
    assert data["payments"] == [
        {"method": "cash", "amount": "3.00", "reference": ""},
        {"method": "card", "amount": "7.00", "reference": ""},
    ]
    assert data["change_given"] == "0.00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE:1"], "Article inconnu : « NOPE »."),
        (["A:0"], "Article « A:0 » mal écrit : la quantité ne peut pas être nulle"),
        (["A:-2"], "Article « A:-2 » mal écrit : quantité « -2 » : elle doit être positive"),
        (["A:deux"], "Article « A:deux » mal écrit : quantité invalide : « deux »"),
        (["A:1.5"], "cet article se vend à la pièce"),
        ([":2"], "le code est vide"),
        (["A:2", "--pay", "card:4"], "Paiement insuffisant : il manque 1,00\u00a0€"),
        (["A:2", "--pay", "card:6"], "seul un paiement en espèces peut donner lieu à un rendu"),
        (["A:2", "--pay", "bitcoin:5"], "Moyen de paiement inconnu : « bitcoin »"),
        (["A:2", "--pay", "card", "--pay", "cash"], "Un seul paiement peut être sans montant"),
        (["A:2", "--customer", "X"], "Client inconnu : « X »."),
    ],
)
def test_sell_refuses_bad_input_in_french_and_writes_nothing(shelf, cli_fail, args, message):
    err = cli_fail("sell", *args)
    assert err.startswith("Erreur : ")
    assert message in err
    assert not Invoice.objects.exists()
    assert stock_of("A") == 20


def test_full_credit_note_returns_everything_left(shelf, cli, cli_json):
    number = cli_json("sell", "A:3", "V:1")["number"]
    note = cli_json("credit_note", number, "--reason", "erreur de caisse", "--refund", "card")
    assert note["invoice"] == number
    assert note["number"].startswith("C1-AV-")
    assert note["totals"]["incl_tax"] == "17.50"
    assert note["refund_method"] == "card"
    assert stock_of("A") == 20
    assert note["number"] in cli("invoice", "show", number)


def test_partial_credit_note_then_over_return_is_refused(shelf, cli, cli_json, cli_fail):
    number = cli_json("sell", "A:3")["number"]
    out = cli("credit_note", number, "A:2")
    assert out.startswith("Avoir C1-AV-")
    assert "5,00\u00a0€." in out
    err = cli_fail("credit_note", number, "A:2")
    assert "Retour impossible" in err
    assert CreditNote.objects.count() == 1
    assert stock_of("A") == 19
    cli("credit_note", number)  # the full return takes the one left
    assert stock_of("A") == 20
    assert "déjà été entièrement remboursée" in cli_fail("credit_note", number)


def test_credit_note_of_an_unknown_invoice(shelf, cli_fail):
    assert "Facture inconnue : « C1-2099-000001 »" in cli_fail("credit_note", "C1-2099-000001")


def test_invoice_list_and_show(shelf, cli, cli_json):
    first = cli_json("sell", "A:1")["number"]
    second = cli_json("sell", "A:2", "--pay", "card")["number"]
    cli("credit_note", first)
    rows = cli_json("invoice", "list")
    assert [r["number"] for r in rows] == [second, first]  # newest first
    assert rows[1]["credit_note_count"] == 1
    assert rows[0]["total_incl_tax"] == "5.00"
    assert [r["number"] for r in cli_json("invoice", "list", "--limit", "1")] == [second]
    assert cli_json("invoice", "list", "--till", "ZZ") == []
    assert len(cli_json("invoice", "list", "--till", "c1")) == 2
    assert cli_json("invoice", "list", "--to", "2000-01-01") == []
    shown = cli_json("invoice", "show", first)
    assert [n["total_incl_tax"] for n in shown["credit_notes"]] == ["2.50"]
    assert shown["payments"] == [{"method": "cash", "amount": "2.50", "reference": ""}]
    text = cli("invoice", "show", second)
    assert "Payé Carte bancaire : 5,00\u00a0€" in text
    assert "Total HT" in text


def test_invoice_list_refuses_a_bad_date(shelf, cli_fail):
    err = cli_fail("invoice", "list", "--from", "31/01/2026")
    assert "Date invalide pour --from : « 31/01/2026 » (format AAAA-MM-JJ)." in err


def test_invoice_show_unknown(shelf, cli_fail):
    assert "Facture inconnue" in cli_fail("invoice", "show", "X")


def test_records_made_without_cashier_belong_to_the_home_manager(shelf, cli, cli_json):
    # Every command that records a person: a sale, a credit note, a cash session.
    invoice = cli_json("sell", "A:1", "--pay", "cash")
    assert Invoice.objects.get(number=invoice["number"]).cashier == "admin"
    cli("credit_note", invoice["number"], "A:1")
    assert CreditNote.objects.get().cashier == "admin"
    cli("session", "cash-in", "5", "--reason", "Monnaie")
    from comptoir.cash.models import CashMovement, CashSession

    assert CashSession.objects.get().cashier == "admin"  # opened by the first sale
    assert CashMovement.objects.get().cashier == "admin"
    # Given, it is kept as given.
    named = cli_json("sell", "A:1", "--pay", "cash", "--cashier", "Léa")
    assert Invoice.objects.get(number=named["number"]).cashier == "Léa"


def test_a_blank_cashier_or_a_home_without_manager_is_refused(shelf, cli_fail):
    from django.contrib.auth import get_user_model

    assert "--cashier" in cli_fail("sell", "A:1", "--cashier", "  ")
    get_user_model()._default_manager.all().update(is_active=False)
    assert "aucun gérant actif" in cli_fail("sell", "A:1")
    assert "aucun gérant actif" in cli_fail("session", "open", "--float", "10")
    assert not Invoice.objects.exists()


def test_sell_with_a_basket_discount_in_percent_or_amount(shelf, cli_json):
    data = cli_json("sell", "A:4", "--discount", "10%")
    assert (data["discount"], data["discount_amount"], data["totals"]["incl_tax"]) == (
        "10%",
        "1.00",
        "9.00",
    )
    assert data["lines"][0]["basket_discount"] == "1.00"
    data = cli_json("sell", "A:2", "V:1", "--discount", "1,50", "--pay", "card")
    assert (data["discount"], data["totals"]["incl_tax"]) == ("1.50", "13.50")
    assert data["payments"] == [{"method": "card", "amount": "13.50", "reference": ""}]
    assert sum(Decimal(ln["basket_discount"]) for ln in data["lines"]) == Decimal("1.50")


def test_sell_above_the_discount_threshold_needs_a_manager(shelf, cli_fail, cli_json):
    message = cli_fail("sell", "A:4", "--discount", "25%")
    assert "doit être accordée par un gérant" in message
    assert "Traceback" not in message
    assert "n'est pas un gérant" in cli_fail(
        "sell", "A:4", "--discount", "25%", "--manager", "personne"
    )
    assert not Invoice.objects.exists()
    data = cli_json("sell", "A:4", "--discount", "25%", "--manager", "admin")
    assert data["totals"]["incl_tax"] == "7.50"
    assert Invoice.objects.get().discount_approved_by == "admin"


def test_sell_refuses_a_malformed_discount_in_french(shelf, cli_fail):
    assert "Remise invalide" in cli_fail("sell", "A:1", "--discount", "dix")
    assert "dépasse le total du panier" in cli_fail(
        "sell", "A:1", "--discount", "30", "--manager", "admin"
    )
    assert not Invoice.objects.exists()


def test_sell_in_detail_prints_the_basket_discount_as_an_amount(shelf, cli):
    out = cli("sell", "A:4", "--discount", "10%", "-v", "2")
    [line] = [ln for ln in out.splitlines() if ln.startswith("Remise sur le panier")]
    assert line == "Remise sur le panier 10% : -1,00\u00a0€", line
