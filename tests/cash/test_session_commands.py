"""``comptoir session ...``: exit codes, one French sentence on bad input, the --json shape."""

from io import StringIO

import pytest
from django.core.management import call_command

from comptoir.cash.models import CashMovement, CashSession
from comptoir.catalogue.services import article_create
from tests.factories import db_state

AMOUNT_KEYS = {"excl_vat", "vat", "incl_vat"}


@pytest.fixture
def shelf(till):
    article_create(code="A", name="Pomme", sale_price="2.50")


def test_a_day_at_the_till_from_the_command_line(shelf, cli, cli_json):
    opened = cli_json("session", "open", "--float", "50", "--cashier", "Léa")
    assert opened["number"] == 1
    assert (opened["status"], opened["float"], opened["cashier"]) == ("open", "50.00", "Léa")
    cli("sell", "A:4", "--pay", "cash:20")  # 10.00, 10.00 change
    moved = cli_json("session", "cash-out", "12,50", "--reason", "Fournisseur")
    assert moved == {
        "session": 1,
        "number": 1,
        "kind": "out",
        "amount": "12.50",
        "reason": "Fournisseur",
        "expected": "47.50",
        "exceeds_drawer": False,
    }
    x = cli_json("session", "x")
    assert x["kind"] == "X"
    assert x["cash"]["expected"] == "47.50"
    assert x["cash"]["counted"] is None
    z = cli_json("session", "close", "--counted", "47")
    assert z["kind"] == "Z"
    assert z["session"]["status"] == "closed"
    assert z["invoices"]["count"] == 1
    assert {k: z["invoices"][k] for k in AMOUNT_KEYS} == {
        "excl_vat": "8.33",
        "vat": "1.67",
        "incl_vat": "10.00",
    }
    assert z["invoices"]["by_rate"] == [
        {"rate": "20.00", "excl_vat": "8.33", "vat": "1.67", "incl_vat": "10.00"}
    ]
    assert z["payments"] == {"cash": "10.00"}
    assert z["cash"] == {
        "float": "50.00",
        "sales": "10.00",
        "refunds": "0.00",
        "settlements": "0.00",
        "in": "0.00",
        "out": "12.50",
        "expected": "47.50",
        "counted": "47.00",
        "difference": "-0.50",
    }
    listed = cli_json("session", "list")
    assert [(s["number"], s["status"], s["difference"]) for s in listed] == [(1, "closed", "-0.50")]
    assert "-0,50\u00a0€" in cli("session", "list")


def test_the_text_z_shows_the_count_after_the_expected_amount(shelf, cli):
    cli("session", "open", "--count", "20:2", "--count", "0,50:2")
    text = cli("session", "close", "--counted", "42")
    assert "Rapport Z" in text
    assert "attendu 41,00\u00a0€" in text
    assert "écart : 1,00\u00a0€ (excédent)" in text


def test_sell_without_a_session_opens_one_with_a_zero_float_and_says_so(shelf, cli):
    err = StringIO()
    call_command("sell", "A:1", stdout=StringIO(), stderr=err)
    assert "session n° 1 ouverte avec un fond de caisse nul" in err.getvalue()
    session = CashSession.objects.get()
    assert session.float_amount == 0
    err = StringIO()
    call_command("sell", "A:1", stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""  # the open session takes the next sale
    assert CashSession.objects.count() == 1


def test_a_refused_sale_opens_no_session(shelf, cli_fail):
    before = db_state()
    assert "Paiement insuffisant" in cli_fail("sell", "A:1", "--pay", "cash:1")
    assert db_state() == before


def test_a_cash_out_beyond_the_drawer_is_recorded_and_said(shelf, cli, capsys):
    cli("session", "open", "--float", "10")
    capsys.readouterr()
    out = StringIO()
    err = StringIO()
    call_command("session", "cash-out", "25", "--reason", "Retrait", stdout=out, stderr=err)
    assert "Attention" in err.getvalue()
    assert "-15,00\u00a0€" in out.getvalue()
    assert CashMovement.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("session", "cash-in", "10", "--reason", "Banque"), "Aucune session de caisse"),
        (("session", "x"), "Aucune session de caisse"),
        (("session", "close", "--counted", "10"), "rien à fermer"),
        (("session", "open", "--float", "-5"), "ne peut pas être négatif"),
        (("session", "open", "--float", "abc"), "Montant invalide"),
        (("session", "open"), "fond de caisse est obligatoire"),
        (("session", "open", "--count", "3:1"), "Coupure inconnue"),
        (("session", "open", "--count", "20"), "Comptage invalide"),
    ],
)
def test_bad_input_without_a_session_exits_2_with_one_sentence(shelf, cli_fail, args, message):
    before = db_state()
    err = cli_fail(*args)
    assert message in err
    assert err.startswith("Erreur : ")
    assert len(err.strip().splitlines()) == 1
    assert db_state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("session", "open", "--float", "10"), "déjà ouverte"),
        (("session", "cash-in", "-10", "--reason", "Banque"), "doit être positif"),
        (("session", "cash-out", "10", "--reason", ""), "motif est obligatoire"),
        (("session", "cash-out", "1.234", "--reason", "x"), "au plus 2 décimale"),
        (("session", "close", "--counted", "-1"), "ne peut pas être négatif"),
        (("session", "close", "--counted", "10", "--count", "5:1"), "ne correspond pas"),
    ],
)
def test_bad_input_in_a_session_exits_2_and_writes_nothing(shelf, cli, cli_fail, args, message):
    cli("session", "open", "--float", "10")
    before = db_state()
    err = cli_fail(*args)
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert db_state() == before


def test_closing_twice_exits_2(shelf, cli, cli_fail):
    cli("session", "open", "--float", "10")
    cli("session", "close", "--counted", "10")
    before = db_state()
    assert "rien à fermer" in cli_fail("session", "close", "--counted", "10")
    assert db_state() == before
