"""Numbers beyond the plausibility bounds (``core.bounds``) on the till screen: a French
message next to the field (422), never a 500, and nothing changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from comptoir.sales.services import PaymentInput, SaleLine, invoice_sell
from tests.factories import db_state
from tests.pos.conftest import FETCH, PAIN_EAN
from tests.pos.test_till import body, draft_lines, pay, scan

pytestmark = pytest.mark.django_db


def _spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        # issue 13: a barcode scanned twice, used as a quantity
        ("35600701234563560070123456*PAIN", "elle ne peut pas dépasser 1 000 000 000"),
        (f"{PAIN_EAN}{PAIN_EAN}*PAIN", "elle ne peut pas dépasser 1 000 000 000"),
        ("1000000001*PAIN", "Quantité « 1000000001 » : elle ne peut pas dépasser"),
        # within the quantity bound, but quantity × price is not
        ("400000000*VIN", "Article « VIN » : le total de la ligne (quantité × prix)"),
    ],
)
def test_a_quantity_beyond_the_bounds_is_refused_at_the_scan(
    cashier_client, catalogue, typed, message
):
    status, html = scan(cashier_client, typed)
    assert status == 422
    assert message in _spaces(html)
    assert draft_lines(cashier_client) == []


def test_a_quantity_beyond_the_bounds_is_refused_on_the_line(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    url = reverse("pos:line_update", args=[1])
    for typed in ("1" + "0" * 29, "999 999 999 999"):
        response = cashier_client.post(url, {"quantity": typed}, headers=FETCH)
        assert response.status_code == 422
        assert "elle ne peut pas dépasser" in body(response)
    assert draft_lines(cashier_client) == [("PAIN", Decimal(1), Decimal(0))]


def test_a_payment_beyond_the_bounds_is_refused_and_nothing_is_validated(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    before = db_state()
    status, html = pay(cashier_client, cash="100000000000000000000")
    assert status == 422
    assert "Montant « 100000000000000000000 » : il ne peut pas dépasser" in html
    assert db_state() == before
    assert draft_lines(cashier_client) == [("PAIN", Decimal(1), Decimal(0))]


def test_a_returned_quantity_beyond_the_bounds_is_refused_on_the_credit_note_screen(
    cashier_client, catalogue
):
    invoice = invoice_sell(
        lines=[SaleLine("PAIN", 3)], payments=[PaymentInput("cash", "5")], cashier="alice"
    )
    before = db_state()
    response = cashier_client.post(
        reverse("pos:credit_note", args=[invoice.number]),
        {"qty_1": "1" + "0" * 30, "refund_method": "cash"},
    )
    assert response.status_code == 422
    assert "elle ne peut pas dépasser" in body(response)
    assert db_state() == before
