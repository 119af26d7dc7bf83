"""The till screen's basket discount (F6) and parked baskets (F7)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from comptoir.pos.basket import SESSION_KEY
from comptoir.sales.models import Invoice, InvoiceDraft
from comptoir.web.roles import MANAGER
from tests.pos.conftest import FETCH, make_user

pytestmark = pytest.mark.django_db


def body(response: HttpResponse) -> str:
    return unescape(response.content.decode())


def post(
    client: Client, name: str, data: dict[str, str] | None = None, **kwargs: str
) -> HttpResponse:
    return client.post(reverse(name, kwargs=kwargs or None), data or {}, headers=FETCH)


def ring(client: Client, *codes: str) -> None:
    for code in codes:
        assert post(client, "pos:scan", {"q": code}).status_code == 200


def test_a_discount_within_the_threshold_shows_on_the_totals_and_the_receipt(
    cashier_client, catalogue
):
    ring(cashier_client, "VIN", "VIN", "PAIN")  # 8.90 + 8.90 + 1.20 = 19.00
    response = post(cashier_client, "pos:discount", {"discount": "10 %"})
    assert response.status_code == 200
    text = body(response)
    assert re.search(r"Remise 10 %</span> <span class=\"num\">−1,90\s€", text)
    assert re.search(r'id="grand-total">17,10\s€', text)
    response = post(cashier_client, "pos:validate", {"pay_cash": "20"})
    invoice = Invoice.objects.get()
    assert (invoice.discount, invoice.discount_amount, invoice.total_incl_tax) == ("10%", 190, 1710)
    receipt = body(cashier_client.get(reverse("pos:receipt", args=[invoice.number])))
    assert re.search(r"Remise 10 %</span> <span class=\"num\">−1,90\s€", receipt)


def test_a_discount_above_the_threshold_asks_for_a_manager_and_takes_their_password(
    cashier_client, catalogue
):
    ring(cashier_client, "VIN")
    response = post(cashier_client, "pos:discount", {"discount": "2,00"})  # 22 %
    assert response.status_code == 422
    text = body(response)
    assert "doit être accordée par un gérant" in text
    assert 'id="manager-password"' in text
    draft = InvoiceDraft.objects.get()
    assert draft.discount == ""
    make_user("gerant", MANAGER)
    make_user("bob", "cashier")
    for user, password in (("gerant", "wrong"), ("bob", "secret-pass-1"), ("", "")):
        response = post(
            cashier_client,
            "pos:discount",
            {"discount": "2,00", "manager_user": user, "manager_password": password},
        )
        assert response.status_code == 422, user
    draft.refresh_from_db()
    assert draft.discount == ""
    response = post(
        cashier_client,
        "pos:discount",
        {"discount": "2,00", "manager_user": "gerant", "manager_password": "secret-pass-1"},
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.discount, draft.discount_approved_by) == ("2.00", "gerant")
    # Back to no discount: 0 or empty.
    assert post(cashier_client, "pos:discount", {"discount": "0"}).status_code == 200
    draft.refresh_from_db()
    assert (draft.discount, draft.discount_approved_by) == ("", "")


def test_a_logged_in_manager_grants_a_discount_themselves(manager_client, catalogue):
    ring(manager_client, "VIN")
    assert post(manager_client, "pos:discount", {"discount": "50%"}).status_code == 200
    assert InvoiceDraft.objects.get().discount_approved_by == "gerant"


def test_a_basket_is_parked_and_taken_back_while_another_is_sold(cashier_client, catalogue):
    ring(cashier_client, "VIN", "VIN")
    first = cashier_client.session[SESSION_KEY]
    response = post(cashier_client, "pos:park", {"label": "Mme Martin"})
    assert response.status_code == 200
    text = body(response)
    assert "1 panier en attente" in text
    assert re.search(r"Mme Martin.*2 lignes.*17,80\s€", text, re.S)
    assert SESSION_KEY not in cashier_client.session
    # The next customer.
    ring(cashier_client, "PAIN")
    assert post(cashier_client, "pos:validate", {"pay_cash": "2"}).status_code == 200
    assert Invoice.objects.get().total_incl_tax == 120
    # Taken back, and sold.
    response = post(cashier_client, "pos:resume", draft_id=first)
    assert response.status_code == 200
    assert cashier_client.session[SESSION_KEY] == first
    assert "panier en attente" not in body(response)
    assert post(cashier_client, "pos:validate", {"pay_cash": "20"}).status_code == 200
    assert sorted(Invoice.objects.values_list("total_incl_tax", flat=True)) == [120, 1780]
    assert not InvoiceDraft.objects.exists()


def test_taking_a_basket_back_parks_the_one_on_screen_and_a_basket_goes_back_once(
    cashier_client, catalogue
):
    ring(cashier_client, "VIN")
    first = cashier_client.session[SESSION_KEY]
    post(cashier_client, "pos:park")
    ring(cashier_client, "PAIN")
    second = cashier_client.session[SESSION_KEY]
    assert post(cashier_client, "pos:resume", draft_id=first).status_code == 200
    assert cashier_client.session[SESSION_KEY] == first
    assert InvoiceDraft.objects.get(pk=second).parked_at is not None
    assert post(cashier_client, "pos:resume", draft_id=first).status_code == 200  # 2nd click
    assert cashier_client.session[SESSION_KEY] == first
    # Another cashier at the same till cannot take the same basket too.
    other = Client()
    other.force_login(make_user("bob", "cashier"))
    response = post(other, "pos:resume", draft_id=first)
    assert response.status_code == 422
    assert "déjà été repris" in body(response)
    assert post(other, "pos:resume", draft_id=second).status_code == 200
    assert other.session[SESSION_KEY] == second
    assert not InvoiceDraft.objects.filter(parked_at__isnull=False).exists()


def test_the_screen_lists_the_parked_baskets_and_the_keys(cashier_client, catalogue):
    ring(cashier_client, "VIN")
    post(cashier_client, "pos:park")
    text = body(cashier_client.get(reverse("pos:index")))
    assert "1 panier en attente" in text
    assert "Reprendre" in text
    assert "<kbd>F6</kbd>" in text
    assert "<kbd>F7</kbd>" in text
    assert "basket_tools.js" in text


def test_the_a4_invoice_and_the_training_receipt_show_the_discount_too(
    cashier_client, catalogue, till
):
    from comptoir.training.services import training_set

    ring(cashier_client, "VIN", "PAIN")
    post(cashier_client, "pos:discount", {"discount": "1"})
    post(cashier_client, "pos:validate", {"pay_cash": "20"})
    invoice = Invoice.objects.get()
    a4 = body(cashier_client.get(reverse("pos:invoice_a4", args=[invoice.number])))
    assert re.search(r"Dont remise sur le panier</th><td class=\"num\">−1,00\s€", a4)
    training_set(on=True, till=till, user="gerant")
    ring(cashier_client, "VIN")
    post(cashier_client, "pos:discount", {"discount": "5%"})
    response = post(cashier_client, "pos:validate", {"pay_cash": "20", "training": "1"})
    assert response.status_code == 200
    assert re.search(r"Remise 5 %</span> <span class=\"num\">−0,45\s€", body(response))
