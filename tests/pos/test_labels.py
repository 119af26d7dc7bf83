"""Scale labels scanned at the till: the right article with the right quantity or amount,
and a clear French message for a label that cannot be sold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stdnum import ean

from comptoir.catalogue.services import label_rule_archive, label_rule_create
from comptoir.sales.models import Invoice
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from tests.factories import make_article
from tests.pos.conftest import PAIN_EAN
from tests.pos.test_till import draft_lines, pay, scan

pytestmark = pytest.mark.django_db


def label(first12: str) -> str:
    return first12 + ean.calc_check_digit(first12)


@pytest.fixture
def rules(till: Till, catalogue: None) -> None:
    make_article("4512", "24.90", vat="5.5", unit="kg")  # a cheese at the counter
    make_article("778", "3.50", vat="5.5")  # a tart, by the piece
    label_rule_create(store=till.store, prefix="21", code_digits=5, value="weight")
    label_rule_create(store=till.store, prefix="26", code_digits=5, value="price")


def test_a_weight_label_rings_up_its_article_by_the_kilogram(cashier_client, rules):
    status, html = scan(cashier_client, label("210451200350"))
    assert status == 200
    assert draft_lines(cashier_client) == [("4512", Decimal("0.350"), Decimal(0))]
    assert 'data-total="872"' in html  # 0,350 × 24,90 = 8,715 → 8,72


def test_a_price_label_rings_up_the_amount_printed_on_it(cashier_client, rules):
    scan(cashier_client, PAIN_EAN)
    status, html = scan(cashier_client, label("260451200623"))
    assert status == 200
    assert draft_lines(cashier_client) == [
        ("PAIN", Decimal(1), Decimal(0)),
        ("4512", Decimal("0.250"), Decimal(0)),
    ]
    assert 'data-total="743"' in html  # 1,20 + 6,23
    assert pay(cashier_client, cash="10")[0] == 200
    invoice = Invoice.objects.get()
    assert [line.total_incl_tax for line in invoice.lines.order_by("position")] == [120, 623]


def test_a_price_label_of_an_article_by_the_piece_sells_whole_pieces(cashier_client, rules):
    assert scan(cashier_client, label("260077800700"))[0] == 200
    assert draft_lines(cashier_client) == [("778", Decimal(2), Decimal(0))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (label("210451200350")[:-1] + "0", "son chiffre de contrôle est faux"),
        (label("219999900350"), "aucun article n'a le code « 99999 » (règle d'étiquette 21)"),
        (label("210077800350"), "l'article « 778 » ne se vend pas au kilogramme"),
        (label("260077800650"), "n'est pas un multiple de son prix"),
        ("3*" + label("210451200350"), "porte déjà sa quantité"),
    ],
)
def test_a_label_that_cannot_be_sold_says_why_on_the_screen(cashier_client, rules, text, message):
    scan(cashier_client, PAIN_EAN)
    status, html = scan(cashier_client, text)
    assert status == 422
    assert message in html
    assert 'id="scan-feedback"' in html
    assert draft_lines(cashier_client) == [("PAIN", Decimal(1), Decimal(0))]


def test_another_stores_rules_do_not_read_this_stores_labels(cashier_client, catalogue, till):
    make_article("4512", "24.90", vat="5.5", unit="kg")
    other = store_get_or_create(name="Annexe")
    label_rule_create(store=other, prefix="21", code_digits=5, value="weight")
    status, html = scan(cashier_client, label("210451200350"))
    assert status == 422
    assert "Article inconnu" in html


def test_an_archived_rule_reads_no_more_labels(cashier_client, rules, till):
    label_rule_archive(store=till.store, prefix="21")
    status, html = scan(cashier_client, label("210451200350"))
    assert status == 422
    assert "Article inconnu" in html
