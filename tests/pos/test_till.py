"""The till screen: scanning, editing the basket, paying and validating."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from comptoir.customers.services import customer_create
from comptoir.pos.basket import SESSION_KEY, scan_parse
from comptoir.sales.models import Invoice, InvoiceDraft, Payment
from comptoir.sales.services import payment_method_create, payment_method_update
from comptoir.stock.selectors import stock_level
from tests.factories import db_state
from tests.pos.conftest import FETCH, PAIN_EAN, VIN_EAN, make_user

pytestmark = pytest.mark.django_db


def body(response: HttpResponse) -> str:
    return unescape(response.content.decode())


def scan(client: Client, text: str) -> tuple[int, str]:
    response = client.post(reverse("pos:scan"), {"q": text}, headers=FETCH)
    return response.status_code, body(response)


def pay(client: Client, **amounts: str) -> tuple[int, str]:
    data = {f"pay_{method}": amount for method, amount in amounts.items()}
    response = client.post(reverse("pos:validate"), data, headers=FETCH)
    return response.status_code, body(response)


def draft_lines(client: Client) -> list[tuple[str, Decimal, Decimal]]:
    draft = InvoiceDraft.objects.get(pk=client.session[SESSION_KEY])
    return [
        (line.article.code, line.quantity, line.discount_rate)
        for line in draft.lines.select_related("article").order_by("position")
    ]


# ---- who may sell, and where ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [("pos:index", "get"), ("pos:scan", "post"), ("pos:validate", "post"), ("pos:my_sales", "get")],
)
def test_anonymous_users_are_sent_to_the_login_page(client, till, name, method):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused_with_403(client, till):
    client.force_login(make_user("nobody", None))
    assert client.get(reverse("pos:index")).status_code == 403
    assert client.post(reverse("pos:scan"), {"q": "PAIN"}).status_code == 403
    assert client.get(reverse("pos:stock_lookup")).status_code == 403


def test_the_hub_has_no_till_and_says_so_in_french(cashier_client, settings):
    settings.COMPTOIR_ROLE = "hub"
    response = cashier_client.get(reverse("pos:index"))
    assert response.status_code == 200
    assert "Le serveur central n'a pas de caisse" in body(response)
    response = cashier_client.post(reverse("pos:scan"), {"q": "PAIN"}, headers=FETCH)
    assert not InvoiceDraft.objects.exists()


def test_a_node_without_a_till_says_so_instead_of_crashing(client, db):
    client.force_login(make_user("alice", "cashier"))
    response = client.get(reverse("pos:index"))
    assert response.status_code == 200
    assert "Aucune caisse n'est rattachée à ce poste" in body(response)


def test_a_manager_can_sell_too(manager_client, catalogue):
    assert manager_client.get(reverse("pos:index")).status_code == 200
    assert scan(manager_client, "PAIN")[0] == 200


# ---- the screen -------------------------------------------------------------------------


def test_the_screen_has_a_labelled_scan_field_with_focus_and_the_shortcuts(cashier_client):
    html = body(cashier_client.get(reverse("pos:index")))
    assert '<label for="scan">' in html
    assert 'id="scan" name="q" type="text" autofocus' in html
    assert "Raccourcis clavier" in html
    for key in ("F2", "F3", "F4", "F8", "F9", "3*CODE"):
        assert f"<kbd>{key}</kbd>" in html
    for method in ("pay_cash", "pay_card", "pay_mobile", "pay_cheque"):
        assert f'<label for="{method}">' in html


def test_the_screen_marks_the_methods_that_give_change_as_the_server_settles(
    cashier_client, catalogue
):
    """The screen's change preview reads ``data-change``: the methods ``settle`` lets give
    change back. Each field marked so gives change on the server, each other is refused."""
    html = body(cashier_client.get(reverse("pos:index")))
    inputs = dict(re.findall(r'<input id="pay_(\w+)"([^>]*)>', html))
    fields = set(inputs)
    marked = {method for method, attributes in inputs.items() if "data-change" in attributes}
    assert marked == {"cash"}
    assert fields == {"cash", "card", "mobile", "cheque"}
    for method in sorted(fields):
        scan(cashier_client, "PAIN")
        _status, html = pay(cashier_client, **{method: "100"})
        if method in marked:
            assert "Monnaie à rendre" in html, method
        else:
            assert "seul un paiement en espèces" in html, method


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PAIN", ("PAIN", "1")),
        (" 3*PAIN ", ("PAIN", "3")),
        ("0,350 * FROM", ("FROM", "0,350")),
        ("*PAIN", ("PAIN", "1")),
        ("", ("", "1")),
    ],
)
def test_scan_text_is_a_code_with_an_optional_quantity(text, expected):
    assert scan_parse(text) == expected


def test_scanning_barcodes_and_codes_fills_the_basket(cashier_client, catalogue):
    assert scan(cashier_client, PAIN_EAN)[0] == 200
    assert scan(cashier_client, f"2*{VIN_EAN}")[0] == 200
    status, html = scan(cashier_client, "0,350*FROM")
    assert status == 200
    assert draft_lines(cashier_client) == [
        ("PAIN", Decimal(1), Decimal(0)),
        ("VIN", Decimal(2), Decimal(0)),
        ("FROM", Decimal("0.350"), Decimal(0)),
    ]
    # 1.20 + 2 × 8.90 + 0.350 × 24.90 (8.715 → 8.72) = 27.72
    assert 'data-total="2772"' in html
    assert "27,72" in html


def test_the_basket_survives_a_reload(cashier_client, catalogue):
    scan(cashier_client, "VIN")
    html = body(cashier_client.get(reverse("pos:index")))
    assert "Article VIN" in html
    assert 'data-total="890"' in html


def test_an_unknown_barcode_is_refused_in_french_and_adds_nothing(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    status, html = scan(cashier_client, "9999999999")
    assert status == 422
    assert "Article inconnu : « 9999999999 »" in html
    assert 'id="scan-feedback"' in html
    assert draft_lines(cashier_client) == [("PAIN", Decimal(1), Decimal(0))]


def test_a_name_typed_then_enter_offers_the_matching_articles(cashier_client, catalogue):
    status, html = scan(cashier_client, "Article V")
    assert status == 422
    assert 'data-value="VIN"' in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,5*PAIN", "cet article se vend à la pièce"),
        ("abc*PAIN", "Quantité invalide"),
        ("-2*PAIN", "elle doit être positive"),
    ],
)
def test_a_bad_quantity_is_refused_and_adds_nothing(cashier_client, catalogue, text, message):
    status, html = scan(cashier_client, text)
    assert status == 422
    assert message in html
    assert draft_lines(cashier_client) == []


def test_empty_enter_does_nothing(cashier_client, catalogue):
    status, _html = scan(cashier_client, "  ")
    assert status == 200
    assert not InvoiceDraft.objects.exists()


def test_suggestions_match_names_and_need_two_characters(cashier_client, catalogue):
    html = body(cashier_client.get(reverse("pos:search"), {"q": "article p"}))
    assert 'data-value="PAIN"' in html
    assert 'data-value="VIN"' not in html
    html = body(cashier_client.get(reverse("pos:search"), {"q": "2*Article v"}))
    assert 'data-value="VIN"' in html
    assert 'role="option"' not in body(cashier_client.get(reverse("pos:search"), {"q": "a"}))
    html = body(cashier_client.get(reverse("pos:search"), {"q": "zzz"}))
    assert "Aucun article pour « zzz »" in html


def test_quantity_and_discount_are_edited_per_line(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    scan(cashier_client, "VIN")
    url = reverse("pos:line_update", args=[2])
    response = cashier_client.post(url, {"quantity": "3", "discount": "10"}, headers=FETCH)
    assert response.status_code == 200
    assert draft_lines(cashier_client) == [
        ("PAIN", Decimal(1), Decimal(0)),
        ("VIN", Decimal(3), Decimal(10)),
    ]
    # 1.20 + 26.70 − 10 % (2.67) = 25.23
    assert 'data-total="2523"' in body(response)


def test_a_bad_discount_is_refused_and_changes_nothing(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    url = reverse("pos:line_update", args=[1])
    response = cashier_client.post(url, {"quantity": "5", "discount": "120"}, headers=FETCH)
    assert response.status_code == 422
    assert "Remise invalide" in body(response)
    assert draft_lines(cashier_client) == [("PAIN", Decimal(1), Decimal(0))]


def test_quantity_zero_or_the_remove_button_takes_a_line_off(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    scan(cashier_client, "VIN")
    scan(cashier_client, "FROM")
    cashier_client.post(reverse("pos:line_update", args=[1]), {"quantity": "0"}, headers=FETCH)
    cashier_client.post(reverse("pos:line_remove", args=[3]), headers=FETCH)
    assert draft_lines(cashier_client) == [("VIN", Decimal(1), Decimal(0))]
    response = cashier_client.post(reverse("pos:line_remove", args=[3]), headers=FETCH)
    assert response.status_code == 422
    assert "Ligne 3 introuvable" in body(response)


@pytest.mark.parametrize(
    ("quantity", "discount", "lines"),
    [
        # zero, however it is written, takes the line off
        ("0", None, [("VIN", Decimal(1), Decimal(0))]),
        ("0,000", None, [("VIN", Decimal(1), Decimal(0))]),
        (" -0 ", None, [("VIN", Decimal(1), Decimal(0))]),
        ("0\u202f000,00", None, [("VIN", Decimal(1), Decimal(0))]),
        ("0,000.00", None, [("VIN", Decimal(1), Decimal(0))]),
        # thousands separators are read as everywhere else
        ("1 234", None, [("PAIN", Decimal(1234), Decimal(0)), ("VIN", Decimal(1), Decimal(0))]),
        ("1,234.0", None, [("PAIN", Decimal(1234), Decimal(0)), ("VIN", Decimal(1), Decimal(0))]),
        ("1.234,0", None, [("PAIN", Decimal(1234), Decimal(0)), ("VIN", Decimal(1), Decimal(0))]),
        ("2", "12,5 %", [("PAIN", Decimal(2), Decimal("12.5")), ("VIN", Decimal(1), Decimal(0))]),
        ("2", " 12.50%", [("PAIN", Decimal(2), Decimal("12.5")), ("VIN", Decimal(1), Decimal(0))]),
    ],
)
def test_typed_quantities_and_discounts_are_read_as_everywhere_else(
    cashier_client, catalogue, quantity, discount, lines
):
    scan(cashier_client, "PAIN")
    scan(cashier_client, "VIN")
    data = {"quantity": quantity} | ({"discount": discount} if discount else {})
    url = reverse("pos:line_update", args=[1])
    assert cashier_client.post(url, data, headers=FETCH).status_code == 200
    assert draft_lines(cashier_client) == lines


@pytest.mark.parametrize(
    ("quantity", "discount", "message"),
    [
        ("1,23.5", None, "Quantité invalide"),
        ("0,00.0", None, "Quantité invalide"),
        ("1e3", None, "Quantité invalide"),
        ("0e3", None, "Quantité invalide"),
        ("NaN", None, "Quantité invalide"),
        ("1", "1,23.5", "Remise invalide"),
        ("1", "1e1", "Remise invalide"),
        ("1", "1 234,5", "Remise invalide"),
    ],
)
def test_malformed_quantities_and_discounts_are_refused_and_change_nothing(
    cashier_client, catalogue, quantity, discount, message
):
    scan(cashier_client, "PAIN")
    before = draft_lines(cashier_client)
    data = {"quantity": quantity} | ({"discount": discount} if discount else {})
    response = cashier_client.post(reverse("pos:line_update", args=[1]), data, headers=FETCH)
    assert response.status_code == 422
    assert message in body(response)
    assert draft_lines(cashier_client) == before


def test_totals_show_the_vat_per_rate(cashier_client, catalogue):
    scan(cashier_client, "3*PAIN")
    _status, html = scan(cashier_client, "VIN")
    # 5.5 %: 3.60 → base 3.41 + VAT 0.19; 20 %: 8.90 → base 7.42 + VAT 1.48
    assert 'data-total="1250"' in html
    for text in ("12,50", "3,41", "0,19", "7,42", "1,48", "10,83", "1,67"):
        assert text in html


@pytest.mark.parametrize(("language", "zero"), [("fr", "0,00\u00a0€"), ("en", "0.00\u00a0€")])
def test_the_screen_tells_its_script_the_language_and_how_the_currency_is_written(
    cashier_client, catalogue, language, zero
):
    """pos.js writes the amount due and the change itself, from <html lang> and data-zero."""
    cashier_client.cookies["django_language"] = language
    html = body(cashier_client.get(reverse("pos:index")))
    assert f'<html lang="{language}">' in html
    assert f'data-zero="{zero}"' in html


def test_a_customer_is_found_attached_and_detached(cashier_client, catalogue):
    customer_create(name="Boulangerie Martin", code="MARTIN", siren="732829320")
    html = body(cashier_client.get(reverse("pos:customer_search"), {"q": "martin"}))
    assert 'data-value="MARTIN"' in html
    response = cashier_client.post(
        reverse("pos:customer_set"), {"customer": "MARTIN"}, headers=FETCH
    )
    assert "Boulangerie Martin" in body(response)
    draft = InvoiceDraft.objects.get(pk=cashier_client.session[SESSION_KEY])
    assert draft.customer is not None
    assert draft.customer.code == "MARTIN"
    response = cashier_client.post(
        reverse("pos:customer_set"), {"customer": "INCONNU"}, headers=FETCH
    )
    assert response.status_code == 422
    assert "Client inconnu" in body(response)
    cashier_client.post(reverse("pos:customer_set"), {"customer": ""}, headers=FETCH)
    draft.refresh_from_db()
    assert draft.customer is None


def test_cancelling_the_sale_empties_the_basket(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    response = cashier_client.post(reverse("pos:abandon"), headers=FETCH)
    assert response.status_code == 200
    assert not InvoiceDraft.objects.exists()
    assert SESSION_KEY not in cashier_client.session


# ---- paying ------------------------------------------------------------------------------


def test_paying_cash_validates_and_shows_the_receipt_with_the_change(cashier_client, catalogue):
    scan(cashier_client, PAIN_EAN)
    scan(cashier_client, VIN_EAN)
    status, html = pay(cashier_client, cash="20")
    assert status == 200
    invoice = Invoice.objects.get()
    assert invoice.number.startswith("C1-")
    assert invoice.cashier == "alice"
    assert (invoice.total_incl_tax, invoice.total_paid, invoice.change_given) == (1010, 2000, 990)
    assert f"Vente {invoice.number} validée" in html
    assert "Monnaie à rendre" in html
    assert "9,90" in html
    assert 'data-total="0"' in html  # a fresh basket
    assert SESSION_KEY not in cashier_client.session
    assert not InvoiceDraft.objects.exists()
    store = invoice.store
    assert (
        stock_level(article_id=invoice.lines.get(article_code="PAIN").article_id, store_id=store.pk)
        == 49
    )
    assert (
        stock_level(article_id=invoice.lines.get(article_code="VIN").article_id, store_id=store.pk)
        == 9
    )


def test_several_payments_are_recorded(cashier_client, catalogue):
    scan(cashier_client, "2*VIN")  # 17.80
    status, _html = pay(cashier_client, card="10", mobile="5", cash="5,00")
    assert status == 200
    invoice = Invoice.objects.get()
    assert sorted(Payment.objects.filter(invoice=invoice).values_list("method", "amount")) == [
        ("card", 1000),
        ("cash", 500),
        ("mobile", 500),
    ]
    assert invoice.change_given == 220


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        ({"cash": "5"}, "Paiement insuffisant"),
        ({"card": "20"}, "seul un paiement en espèces peut donner lieu à un rendu"),
        ({"cash": "abc"}, "Montant invalide"),
        ({"cash": "10.001"}, "au plus 2 décimale"),
        ({"cheque": "-3"}, "Un paiement doit être d'un montant positif"),
        ({}, "Saisissez le montant reçu"),
        ({"bitcoin": "20"}, "Saisissez le montant reçu"),
    ],
)
def test_a_refused_payment_writes_nothing_and_keeps_the_basket(
    cashier_client, catalogue, amounts, message
):
    scan(cashier_client, "VIN")
    before = db_state()
    status, html = pay(cashier_client, **amounts)
    assert status == 422
    assert message in html
    assert 'id="pay-feedback"' in html
    assert 'data-focus="pay"' in html
    assert db_state() == before
    assert draft_lines(cashier_client) == [("VIN", Decimal(1), Decimal(0))]


def test_an_empty_basket_cannot_be_validated(cashier_client, catalogue):
    status, html = pay(cashier_client, cash="10")
    assert status == 422
    assert "La vente ne contient aucune ligne" in html
    assert not Invoice.objects.exists()


def test_validating_twice_sells_once(cashier_client, catalogue):
    scan(cashier_client, "VIN")
    assert pay(cashier_client, cash="10")[0] == 200
    assert pay(cashier_client, cash="10")[0] == 422
    assert Invoice.objects.count() == 1


def test_without_javascript_the_forms_still_work_by_redirects(cashier_client, catalogue):
    response = cashier_client.post(reverse("pos:scan"), {"q": "INCONNU"})
    assert response.status_code == 302
    assert response["Location"] == reverse("pos:index")
    page = body(cashier_client.get(reverse("pos:index")))
    assert "Article inconnu : « INCONNU »" in page
    cashier_client.post(reverse("pos:scan"), {"q": "VIN"})
    response = cashier_client.post(reverse("pos:validate"), {"pay_cash": "10"})
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("pos:receipt", args=[invoice.number])


def test_get_is_not_allowed_on_actions(cashier_client):
    assert cashier_client.get(reverse("pos:scan")).status_code == 405
    assert cashier_client.get(reverse("pos:validate")).status_code == 405


def test_the_screen_lists_the_stores_active_methods_and_asks_for_a_reference(
    cashier_client, catalogue, till
):
    """Issue 18: the methods are the store's data; a method that requires a reference has
    its field, and a sale without it is refused on the screen, nothing sold."""
    payment_method_create(
        store=till.store, code="wave", name="Wave", kind="mobile", reference_required=True
    )
    payment_method_update(store=till.store, code="cheque", active=False)
    html = body(cashier_client.get(reverse("pos:index")))
    fields = set(re.findall(r'<input id="pay_(\w+)"', html))
    assert fields == {"cash", "card", "mobile", "wave"}  # no account without a customer
    assert '<label for="pay_wave">Wave</label>' in html
    assert re.search(
        r'<input id="ref_wave" name="ref_wave"[^>]*data-reference-for="pay_wave"', html
    )
    assert "ref_card" not in html
    scan(cashier_client, "PAIN")
    status, html = pay(cashier_client, wave="100")
    assert status == 422
    assert "Paiement « Wave » : saisissez la référence de la transaction." in html
    status, html = pay(cashier_client, cheque="100")  # an inactive method: not taken
    assert status == 422
    assert not Invoice.objects.exists()
    total = InvoiceDraft.objects.get().lines.get().unit_price
    response = cashier_client.post(
        reverse("pos:validate"),
        {"pay_wave": f"{total / 100:.2f}", "ref_wave": "TX-77"},
        headers=FETCH,
    )
    assert response.status_code == 200, body(response)
    invoice = Invoice.objects.get()
    assert invoice.payments.get().reference == "TX-77"
    receipt = body(cashier_client.get(reverse("pos:receipt", kwargs={"number": invoice.number})))
    assert "Wave TX-77" in receipt
