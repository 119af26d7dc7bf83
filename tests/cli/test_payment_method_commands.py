"""``comptoir payment-method`` and ``comptoir sell --pay CODE:AMOUNT:REFERENCE`` (issue 18);
the takings by method in ``stats`` and the cash session's X and Z, under the method's name."""

from __future__ import annotations

import pytest

from comptoir.catalogue.services import article_create
from comptoir.sales.models import Invoice, PaymentMethod
from tests.factories import db_state


@pytest.fixture
def shelf(till):
    article_create(code="A", name="Pomme", sale_price="2.50")


def test_add_list_and_set_a_method(till, cli, cli_json):
    added = cli_json(
        "payment_method",
        "add",
        "--code",
        "wave",
        "--name",
        "Wave",
        "--kind",
        "mobile",
        "--reference-required",
    )
    assert added == {
        "code": "wave",
        "name": "Wave",
        "kind": "mobile",
        "gives_change": False,
        "reference_required": True,
        "active": True,
        "position": 60,
    }
    listed = cli_json("payment_method", "list")
    assert [m["code"] for m in listed] == ["cash", "card", "cheque", "mobile", "compte", "wave"]
    changed = cli_json(
        "payment_method",
        "set",
        "wave",
        "--name",
        "Wave Sénégal",
        "--no-reference-required",
        "--inactive",
    )
    assert (changed["name"], changed["reference_required"], changed["active"]) == (
        "Wave Sénégal",
        False,
        False,
    )
    assert "Wave Sénégal" in cli("payment_method", "list")


def test_sell_with_a_reference_stores_it_and_refuses_it_missing(shelf, cli, cli_json, cli_fail):
    cli("payment_method", "add", "--code", "wave", "--name", "Wave", "--kind", "mobile",
        "--reference-required")  # fmt: skip
    state = db_state()
    assert "saisissez la référence" in cli_fail("sell", "A:2", "--pay", "wave:5.00")
    assert "rendu de monnaie" in cli_fail("sell", "A:2", "--pay", "wave:6:TX1")
    assert db_state() == state
    number = cli_json("sell", "A:2", "--pay", "wave:5.00:REF123")["number"]
    payment = Invoice.objects.get(number=number).payments.get()
    assert (payment.method, payment.amount, payment.reference) == ("wave", 500, "REF123")
    # Without an amount, it takes what is left to pay; the reference follows the second ":".
    number = cli_json("sell", "A:1", "--pay", "cash:1", "--pay", "wave::REF124")["number"]
    assert [
        (p.method, p.amount, p.reference) for p in Invoice.objects.get(number=number).payments.all()
    ] == [
        ("cash", 100, ""),
        ("wave", 150, "REF124"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "--code", "wave", "--name", "Wave", "--kind", "crypto"), "Type de moyen"),
        (("add", "--code", "Wave!", "--name", "Wave", "--kind", "mobile"), "Code de moyen"),
        (("add", "--code", "wave", "--name", "", "--kind", "mobile"), "nom est obligatoire"),
        (("set", "paypal", "--inactive"), "introuvable"),
        (("list", "--store", "Nulle part"), "Magasin inconnu"),
    ],
)
def test_bad_input_exits_2_with_a_french_sentence_and_writes_nothing(till, cli_fail, args, message):
    state = db_state()
    assert message in cli_fail("payment_method", *args)
    assert db_state() == state
    assert not PaymentMethod.objects.exists()


def test_takings_by_method_show_the_methods_name_in_stats_and_in_the_z(shelf, cli, cli_json):
    cli("payment_method", "add", "--code", "om", "--name", "Orange Money", "--kind", "mobile")
    cli("session", "open", "--float", "0")
    cli("sell", "A:2", "--pay", "om:5")
    cli("sell", "A:1", "--pay", "cash:2.50")
    payments = cli_json("stats", "--by", "payment")
    assert [(p["method"], p["amount"]) for p in payments] == [("cash", "2.50"), ("om", "5.00")]
    assert "Orange Money" in cli("stats", "--by", "payment")
    assert cli_json("session", "x")["payments"] == {"cash": "2.50", "om": "5.00"}
    z = cli("session", "close", "--counted", "2.50")
    assert "Orange Money" in z
    assert "Espèces" in z


def test_the_issue_s_command_adds_a_mobile_money_method_without_naming_its_kind(till, cli):
    """`comptoir payment-method add --code wave --name Wave --reference-required`: mobile
    money is the kind a shop adds most (Wave, Orange Money, MTN MoMo…), so it is the
    default."""
    cli("payment_method", "add", "--code", "wave", "--name", "Wave", "--reference-required")
    method = PaymentMethod.objects.get(code="wave")
    assert (method.kind, method.reference_required) == ("mobile", True)
