"""The customer's account at the till (issue 18): the account method appears with a
customer, a sale on account beyond the limit needs a manager's session, the account page
records settlements (« Régler ») and prints an A4 statement; the receivables page."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.customers.services import customer_create
from comptoir.sales.models import AccountSettlement, Invoice
from comptoir.sales.selectors import customer_balance
from comptoir.sales.services import PaymentInput, SaleLine, invoice_sell
from tests.factories import db_state
from tests.pos.conftest import FETCH

pytestmark = pytest.mark.django_db


@pytest.fixture
def awa(till):
    return customer_create(code="AWA", name="Awa Diop", credit_limit="10")


def methods(html: str) -> set[str]:
    return set(re.findall(r'<input id="pay_(\w+)"', html))


def ring(client: Client, customer: str = "AWA") -> str:
    client.post(reverse("pos:scan"), {"q": "VIN"}, headers=FETCH)  # 8.90
    response = client.post(reverse("pos:customer_set"), {"customer": customer}, headers=FETCH)
    return unescape(response.content.decode())


def test_the_account_method_comes_with_the_customer_and_the_limit_needs_a_manager(
    cashier_client, manager_client, catalogue, awa
):
    html = unescape(cashier_client.get(reverse("pos:index")).content.decode())
    assert "compte" not in methods(html)
    html = ring(cashier_client)
    assert "compte" in methods(html)  # the payment form comes back with the customer
    assert "Sur compte" in html
    response = cashier_client.post(reverse("pos:validate"), {"pay_compte": "8.90"}, headers=FETCH)
    assert response.status_code == 200
    assert customer_balance(customer=awa) == 890
    ring(cashier_client)  # 17.80 owed would exceed 10.00
    state = db_state()
    response = cashier_client.post(reverse("pos:validate"), {"pay_compte": "8.90"}, headers=FETCH)
    assert response.status_code == 422
    assert "un responsable doit valider" in unescape(response.content.decode())
    assert db_state() == state
    ring(manager_client)
    response = manager_client.post(reverse("pos:validate"), {"pay_compte": "8.90"}, headers=FETCH)
    assert response.status_code == 200
    assert customer_balance(customer=awa) == 1780


def test_the_account_page_records_a_settlement_and_prints_a_statement(
    cashier_client, catalogue, awa
):
    invoice_sell(
        lines=[SaleLine("VIN", 1)],
        payments=[PaymentInput("compte", "8.90")],
        customer=awa,
        allow_over_limit=True,
    )
    url = reverse("pos:customer_account", kwargs={"pk": awa.pk})
    html = unescape(cashier_client.get(url).content.decode())
    assert "8,90\u00a0€" in html
    assert '<option value="compte"' not in html  # an account is not settled on account
    response = cashier_client.post(url, {"amount": "20", "method": "cash"})
    assert response.status_code == 422
    assert "ne doit que 8,90" in unescape(response.content.decode())
    response = cashier_client.post(url, {"amount": "5", "method": "cash"})
    assert response.status_code == 302
    settlement = AccountSettlement.objects.get()
    assert (settlement.amount, settlement.cashier) == (500, "alice")
    statement = unescape(cashier_client.get(url + "?print=a4").content.decode())
    assert "print-a4" in statement
    assert "Relevé de compte de Awa Diop" in statement
    assert "3,90\u00a0€" in statement  # the running balance
    assert Invoice.objects.get().number in statement


def test_the_receivables_page_is_for_managers(manager_client, cashier_client, catalogue, awa):
    invoice_sell(
        lines=[SaleLine("VIN", 1)],
        payments=[PaymentInput("compte", "8.90")],
        customer=awa,
        allow_over_limit=True,
    )
    html = unescape(manager_client.get(reverse("dashboard:receivables")).content.decode())
    assert "Awa Diop" in html
    assert "8,90\u00a0€" in html
    assert cashier_client.get(reverse("dashboard:receivables")).status_code in (302, 403)


def test_a_manager_grants_a_sale_beyond_the_limit_on_the_cashier_s_screen(
    cashier_client, catalogue, awa
):
    """As for a discount above the threshold: the cashier's screen asks for a manager's
    name and password (checked like a login) instead of a change of session."""
    from tests.pos.conftest import MANAGER, make_user

    make_user("gerant", MANAGER)
    ring(cashier_client)
    cashier_client.post(reverse("pos:validate"), {"pay_compte": "8.90"}, headers=FETCH)
    ring(cashier_client)  # 17.80 owed would exceed 10.00
    over = {"pay_compte": "8.90"}
    response = cashier_client.post(reverse("pos:validate"), over, headers=FETCH)
    html = unescape(response.content.decode())
    assert response.status_code == 422
    assert 'name="manager_password" form="payment-form"' in html
    state = db_state()
    wrong = {**over, "manager_user": "gerant", "manager_password": "nope"}
    response = cashier_client.post(reverse("pos:validate"), wrong, headers=FETCH)
    assert response.status_code == 422
    assert "la vente n'est pas validée" in unescape(response.content.decode())
    assert db_state() == state
    alice = {**over, "manager_user": "alice", "manager_password": "secret-pass-1"}
    response = cashier_client.post(reverse("pos:validate"), alice, headers=FETCH)
    assert response.status_code == 422  # a cashier is no manager
    assert db_state() == state
    right = {**over, "manager_user": "gerant", "manager_password": "secret-pass-1"}
    response = cashier_client.post(reverse("pos:validate"), right, headers=FETCH)
    assert response.status_code == 200
    assert customer_balance(customer=awa) == 1780
