"""Receipts, A4 invoices, credit notes, the cashier's day and the stock lookup."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.selectors import article_get
from comptoir.customers.services import customer_create
from comptoir.lib.quantity import parse_quantity
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import PaymentInput, SaleLine, credit_note_issue, invoice_sell
from comptoir.stock.selectors import stock_level
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Store
from comptoir.stores.services import store_get_or_create
from comptoir.web.roles import MANAGER
from tests.factories import db_state
from tests.pos.conftest import make_user

pytestmark = pytest.mark.django_db


def body(response: HttpResponse) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def sale(catalogue: None) -> Invoice:
    return invoice_sell(
        lines=[SaleLine("PAIN", 3), SaleLine("VIN", 2, discount_rate=10)],
        payments=[PaymentInput("card", "10"), PaymentInput("cash", "10")],
        cashier="alice",
    )


def test_the_receipt_is_sized_for_80_mm_paper_and_prints_on_demand(cashier_client, sale):
    url = reverse("pos:receipt", args=[sale.number])
    assert url == f"/caisse/ticket/{sale.number}/"
    html = body(cashier_client.get(url))
    assert sale.number in html
    assert "pos/pos.css" in html
    assert "data-print" in html
    assert "data-autoprint" not in html
    # 3 × 1.20 = 3.60; 2 × 8.90 = 17.80 − 10 % = 16.02; total 19.62, change 0.38
    for text in ("Article PAIN", "3 × 1,20", "16,02", "19,62", "Carte bancaire", "0,38"):
        assert text in html
    assert "data-autoprint" in body(cashier_client.get(url + "?imprimer=1"))


def test_the_ticket_stylesheet_asks_for_80_mm_paper(client):
    from django.contrib.staticfiles import finders

    path = finders.find("pos/pos.css")
    assert path is not None
    with open(path, encoding="utf-8") as css:
        assert "size: 80mm auto" in css.read()


def test_the_a4_invoice_carries_the_business_mentions(cashier_client, catalogue, store):
    store.address = "1 quai du Port\n13002 Marseille"
    store.siret = "73282932000074"
    store.vat_number = "FR44732829320"
    store.save()
    customer_create(
        name="Boulangerie Martin",
        code="MARTIN",
        address="3 rue du Four, 13001 Marseille",
        siren="732829320",
        vat_number="FR44732829320",
    )
    invoice = invoice_sell(lines=[SaleLine("VIN", 1)], customer="MARTIN", cashier="alice")
    url = reverse("pos:invoice_a4", args=[invoice.number])
    assert url == f"/caisse/facture/{invoice.number}/"
    html = body(cashier_client.get(url))
    for text in (
        f"Facture n° {invoice.number}",
        "Magasin principal",
        "13002 Marseille",
        "SIRET : 73282932000074",
        "Boulangerie Martin",
        "3 rue du Four",
        "SIREN : 732829320",
        "N° de TVA intracommunautaire : FR44732829320",
        "P.U. HT",
        "7,42",  # 8.90 TTC at 20 % → 7.42 HT
        "20 %",
        "1,48",
        "8,90",
        "Facture acquittée le",
        "indemnité forfaitaire pour frais de recouvrement de 40 €",
    ):
        assert text in html, text


def test_an_unknown_number_is_a_404_not_a_crash(cashier_client, till):
    assert cashier_client.get(reverse("pos:receipt", args=["C1-2099-999999"])).status_code == 404
    assert cashier_client.get(reverse("pos:invoice_a4", args=["nope"])).status_code == 404
    assert cashier_client.get(reverse("pos:credit_note", args=["nope"])).status_code == 404
    url = reverse("pos:credit_note_receipt", args=["nope"])
    assert cashier_client.get(url).status_code == 404


def test_receipts_need_a_role(client, sale):
    url = reverse("pos:receipt", args=[sale.number])
    assert client.get(url).status_code == 302
    client.force_login(make_user("nobody", None))
    assert client.get(url).status_code == 403


def test_receipts_and_invoices_open_on_the_hub(cashier_client, sale, settings):
    settings.COMPTOIR_ROLE = "hub"
    assert cashier_client.get(reverse("pos:receipt", args=[sale.number])).status_code == 200
    assert cashier_client.get(reverse("pos:invoice_a4", args=[sale.number])).status_code == 200


def test_a_partial_credit_note_returns_goods_and_prints(cashier_client, sale):
    url = reverse("pos:credit_note", args=[sale.number])
    assert url == f"/caisse/avoir/{sale.number}/"
    html = body(cashier_client.get(url))
    assert 'for="qty_1"' in html
    assert 'for="qty_2"' in html
    pain = article_get(code="PAIN")
    before = stock_level(article_id=pain.pk, store_id=sale.store_id)
    response = cashier_client.post(
        url, {"qty_1": "2", "qty_2": "", "refund_method": "cash", "reason": "abîmé"}
    )
    note = CreditNote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pos:credit_note_receipt", args=[note.number])
    assert (note.total_incl_tax, note.refund_method, note.cashier) == (240, "cash", "alice")
    assert stock_level(article_id=pain.pk, store_id=sale.store_id) == before + 2
    html = body(cashier_client.get(response["Location"]))
    assert note.number in html
    assert f"Sur la facture {sale.number}" in html
    assert "2,40" in html
    # what is left to return is shown
    html = body(cashier_client.get(url))
    assert "/ 1" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"qty_1": "4", "refund_method": "cash"}, "dépasse la quantité vendue"),
        ({"qty_1": "x", "refund_method": "cash"}, "Quantité invalide"),
        ({"qty_1": "-1", "refund_method": "cash"}, "Quantité invalide"),
        ({"qty_1": "1,5", "refund_method": "cash"}, "se vend à la pièce"),
        # thousands separators are read as everywhere else, then refused for what they say
        ({"qty_1": "1 234", "refund_method": "cash"}, "dépasse la quantité vendue"),
        ({"qty_1": "1,234.5", "refund_method": "cash"}, "se vend à la pièce"),
        # malformed writings and exponents are refused as before
        ({"qty_1": "1,23.5", "refund_method": "cash"}, "Quantité invalide"),
        ({"qty_1": "1.234.5", "refund_method": "cash"}, "Quantité invalide"),
        ({"qty_1": "1e3", "refund_method": "cash"}, "Quantité invalide"),
        ({"qty_1": "NaN", "refund_method": "cash"}, "Quantité invalide"),
        ({"qty_1": "", "refund_method": "cash"}, "Indiquez au moins une quantité"),
        ({"qty_1": "1", "refund_method": "bitcoin"}, "Moyen de remboursement inconnu"),
    ],
)
def test_a_refused_credit_note_writes_nothing(cashier_client, sale, data, message):
    before = db_state()
    response = cashier_client.post(reverse("pos:credit_note", args=[sale.number]), data)
    assert response.status_code == 422
    assert message in body(response)
    assert db_state() == before


@pytest.mark.parametrize(
    "typed",
    ["1234,5", "1234.5", "1 234,5", "1\u202f234,5", "1.234,5", "1,234.5", "1'234.5"],
)
def test_returned_quantities_are_read_as_everywhere_else(cashier_client, catalogue, typed):
    invoice = invoice_sell(lines=[SaleLine("FROM", "1500")], cashier="alice")
    url = reverse("pos:credit_note", args=[invoice.number])
    response = cashier_client.post(url, {"qty_1": typed, "refund_method": "cash"})
    assert response.status_code == 302
    returned = CreditNote.objects.get().lines.get().quantity
    assert returned == parse_quantity(typed, unit="kg") == Decimal("1234.5")


def test_refund_everything_then_nothing_is_left(cashier_client, sale):
    url = reverse("pos:credit_note", args=[sale.number])
    response = cashier_client.post(url, {"all": "1", "refund_method": "card"})
    assert response.status_code == 302
    assert CreditNote.objects.get().total_incl_tax == sale.total_incl_tax
    assert "Tout a déjà été rendu" in body(cashier_client.get(url))


def test_the_credit_note_box_goes_to_the_invoice(cashier_client, sale):
    response = cashier_client.get(reverse("pos:credit_note_find"), {"facture": f" {sale.number} "})
    assert response["Location"] == reverse("pos:credit_note", args=[sale.number])


@pytest.mark.parametrize("typed", ["{}", "{} ", "{lower}", "{slashes}", "{spaces}"])
def test_the_credit_note_box_finds_a_number_typed_with_slashes_or_spaces(
    cashier_client, sale, typed
):
    number = sale.number  # C1-2026-000001
    typed = typed.format(
        number,
        lower=number.lower(),
        slashes=number.replace("-", "/"),
        spaces=number.replace("-", " "),
    )
    response = cashier_client.get(reverse("pos:credit_note_find"), {"facture": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("pos:credit_note", args=[number])


@pytest.mark.parametrize("typed", ["C9/2026/000001", "C1-2026-999999", "a/b?c#d", "%", ".."])
def test_an_unknown_number_in_the_credit_note_box_is_said_unknown(cashier_client, sale, typed):
    response = cashier_client.get(reverse("pos:credit_note_find"), {"facture": typed}, follow=True)
    assert response.redirect_chain == [(reverse("pos:my_sales"), 302)]
    assert f"Facture inconnue : « {typed} »." in body(response)


def test_a_cashier_sees_only_their_own_sales_of_the_day(cashier_client, manager_client, sale):
    mine = invoice_sell(lines=[SaleLine("PAIN", 1)], cashier="alice")
    theirs = invoice_sell(lines=[SaleLine("VIN", 1)], cashier="bob")
    credit_note_issue(invoice_number=mine.number, cashier="alice")
    html = body(cashier_client.get(reverse("pos:my_sales")))
    assert sale.number in html
    assert mine.number in html
    assert theirs.number not in html
    assert reverse("pos:receipt", args=[mine.number]) + "?imprimer=1" in html
    assert "Avoirs du jour" in html
    html = body(manager_client.get(reverse("pos:my_sales")))
    assert theirs.number in html


def test_stock_lookup_shows_the_level_in_the_stores_the_account_sees(
    cashier_client, catalogue, settings
):
    other: Store = store_get_or_create(name="Dépôt", currency="EUR")
    stock_receive(article="VIN", quantity=7, store=other.name)
    html = body(cashier_client.get(reverse("pos:stock_lookup"), {"q": "vin"}))
    assert "Article VIN" in html
    assert "Magasin principal : <strong>10</strong>" in html
    assert "Dépôt" not in html  # a till's accounts see the till's store
    settings.COMPTOIR_ROLE = "hub"
    manager = Client()
    manager.force_login(make_user("chaine", MANAGER))  # no scope: a manager sees every store
    html = body(manager.get(reverse("pos:stock_lookup"), {"q": "vin"}))
    assert "Magasin principal : <strong>10</strong>" in html
    assert "Dépôt : <strong>7</strong>" in html
    settings.COMPTOIR_ROLE = "node"
    fragment = body(
        cashier_client.get(
            reverse("pos:stock_lookup"), {"q": "96385074"}, headers={"HX-Request": "true"}
        )
    )
    assert fragment.startswith('<div id="stock-results"')
    assert "Article VIN" in fragment
    assert "Aucun article pour « zzz »" in body(
        cashier_client.get(reverse("pos:stock_lookup"), {"q": "zzz"})
    )
    settings.COMPTOIR_ROLE = "hub"
    assert cashier_client.get(reverse("pos:stock_lookup"), {"q": "vin"}).status_code == 200
