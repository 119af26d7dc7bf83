"""Pages and reports that list documents ask the database as often for 20 rows as for 2:
payment method names, customers' statements and the like are loaded once, never per row
(``sales.selectors.payments_named``, ``payment_method_names``)."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.customers.services import customer_create
from comptoir.sales.models import Invoice
from comptoir.sales.services import PaymentInput, SaleLine, invoice_sell

pytestmark = pytest.mark.django_db


def _queries(action: Callable[[], object]) -> int:
    action()  # caches (session, sites, translations) warm
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def _sales(n: int, *, customer: object = None) -> list[Invoice]:
    payments = (
        [PaymentInput("compte", "1.20")]
        if customer
        else [PaymentInput("card", "1"), PaymentInput("cash", "0.20")]
    )
    return [
        invoice_sell(
            lines=[SaleLine("PAIN", 1)],
            payments=payments,
            customer=customer,
            cashier="alice",
            allow_over_limit=True,
        )
        for _ in range(n)
    ]


def _get(client: Client, url: str) -> Callable[[], object]:
    def get() -> object:
        response = client.get(url)
        assert response.status_code == 200
        return response

    return get


def test_my_sales_asks_as_often_for_twenty_sales_as_for_two(cashier_client, catalogue):
    page = _get(cashier_client, reverse("pos:my_sales"))
    _sales(2)
    few = _queries(page)
    _sales(18)
    html = page().content.decode()  # type: ignore[attr-defined]
    assert html.count("Carte bancaire, Espèces") == 20
    assert _queries(page) == few


def test_a_receipt_asks_as_often_for_five_payments_as_for_one(cashier_client, catalogue):
    one = invoice_sell(lines=[SaleLine("VIN", 1)], payments=[PaymentInput("cash", "8.90")])
    five = invoice_sell(
        lines=[SaleLine("VIN", 1)],
        payments=[PaymentInput(m, "1") for m in ("card", "cheque", "mobile", "card")]
        + [PaymentInput("cash", "4.90")],
    )
    for name in ("pos:receipt", "pos:invoice_a4"):
        counts = {
            _queries(_get(cashier_client, reverse(name, args=[invoice.number])))
            for invoice in (one, five)
        }
        assert len(counts) == 1, (name, counts)


def test_the_receivables_page_asks_as_often_for_twelve_customers_as_for_two(
    manager_client, catalogue
):
    page = _get(manager_client, reverse("dashboard:receivables"))
    for i in range(12):
        customer = customer_create(code=f"C{i:02}", name=f"Client {i:02}")
        _sales(2, customer=customer)
        if i == 1:
            few = _queries(page)
    html = page().content.decode()  # type: ignore[attr-defined]
    assert html.count("Client ") == 12
    assert _queries(page) == few


def test_invoice_show_asks_as_often_for_five_payments_as_for_one(till, catalogue):
    one = invoice_sell(lines=[SaleLine("VIN", 1)], payments=[PaymentInput("cash", "8.90")])
    five = invoice_sell(
        lines=[SaleLine("VIN", 1)],
        payments=[PaymentInput("card", "1")] * 4 + [PaymentInput("cash", "4.90")],
    )

    def show(invoice: Invoice) -> Callable[[], object]:
        return lambda: call_command("invoice", "show", invoice.number, stdout=StringIO())

    assert _queries(show(one)) == _queries(show(five))
