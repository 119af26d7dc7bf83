"""Reprints: the first print after validation is the original, every other one prints
« DUPLICATA n° N » and records one ``reprint`` event with the document and N."""

from __future__ import annotations

import time
from html import unescape

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.pos import originals
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import PaymentInput, SaleLine, invoice_sell
from comptoir.web.roles import CASHIER
from tests.pos.conftest import FETCH, PAIN_EAN, make_user

pytestmark = pytest.mark.django_db


def body(response: HttpResponse) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def reprints() -> list[dict]:
    return [
        event.details_data
        for event in TechnicalEvent.objects.filter(kind=EventKind.REPRINT).order_by("number")
    ]


def sell_at_the_till(client: Client, *, fetch: bool = True) -> Invoice:
    client.post(reverse("pos:scan"), {"q": PAIN_EAN}, headers=FETCH)
    headers = FETCH if fetch else {}
    response = client.post(reverse("pos:validate"), {"pay_cash": "5"}, headers=headers)
    assert response.status_code in (200, 302)
    return Invoice.objects.latest("validated_at")


def test_the_receipt_after_a_sale_is_the_original_and_each_reprint_is_counted(
    cashier_client, catalogue
):
    invoice = sell_at_the_till(cashier_client)
    url = reverse("pos:receipt", args=[invoice.number])
    html = body(cashier_client.get(url + "?imprimer=1"))  # « Imprimer le ticket »
    assert invoice.number in html
    assert "DUPLICATA" not in html
    assert reprints() == []
    for copy in (1, 2, 3):
        html = body(cashier_client.get(url + "?imprimer=1"))  # « Réimprimer »
        assert f"DUPLICATA n° {copy}" in html
        assert len(reprints()) == copy
    assert reprints()[-1] == {
        "copy": 3,
        "document": "invoice",
        "form": "receipt",
        "number": invoice.number,
    }
    assert TechnicalEvent.objects.filter(kind=EventKind.REPRINT).last().user == "alice"


def test_without_script_the_validation_redirect_opens_the_original(cashier_client, catalogue):
    cashier_client.post(reverse("pos:scan"), {"q": PAIN_EAN})
    response = cashier_client.post(reverse("pos:validate"), {"pay_cash": "5"})
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("pos:receipt", args=[invoice.number])
    assert "DUPLICATA" not in body(cashier_client.get(response["Location"]))
    assert "DUPLICATA n° 1" in body(cashier_client.get(response["Location"]))


def test_the_a4_invoice_has_its_own_original_then_shares_the_copy_count(cashier_client, catalogue):
    invoice = sell_at_the_till(cashier_client)
    a4 = reverse("pos:invoice_a4", args=[invoice.number])
    receipt = reverse("pos:receipt", args=[invoice.number])
    assert "DUPLICATA" not in body(cashier_client.get(a4))
    assert "DUPLICATA" not in body(cashier_client.get(receipt))
    assert "DUPLICATA n° 1" in body(cashier_client.get(a4))
    assert "DUPLICATA n° 2" in body(cashier_client.get(receipt))
    assert [(e["form"], e["copy"]) for e in reprints()] == [("a4", 1), ("receipt", 2)]


def test_a_credit_note_receipt_is_original_once_then_duplicate(cashier_client, catalogue):
    invoice = sell_at_the_till(cashier_client)
    response = cashier_client.post(
        reverse("pos:credit_note", args=[invoice.number]), {"all": "1", "refund_method": "cash"}
    )
    note = CreditNote.objects.get()
    assert response["Location"] == reverse("pos:credit_note_receipt", args=[note.number])
    assert "DUPLICATA" not in body(cashier_client.get(response["Location"]))
    html = body(cashier_client.get(response["Location"] + "?imprimer=1"))
    assert "DUPLICATA n° 1" in html
    assert reprints() == [
        {"copy": 1, "document": "credit_note", "form": "credit_note_receipt", "number": note.number}
    ]


def test_a_document_not_validated_by_this_session_is_always_a_duplicate(
    cashier_client, catalogue, manager_client
):
    # Sold by a script (``comptoir sell``): no session printed it, every print is a copy.
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], payments=[PaymentInput("cash", "5")])
    assert "DUPLICATA n° 1" in body(cashier_client.get(f"/caisse/ticket/{invoice.number}/"))
    # Sold at the till by alice: the manager's back-office reprint is a duplicate.
    sold = sell_at_the_till(cashier_client)
    assert "DUPLICATA n° 1" in body(manager_client.get(f"/caisse/ticket/{sold.number}/"))
    other = Client()
    other.force_login(make_user("bob", CASHIER))
    assert "DUPLICATA n° 2" in body(other.get(f"/caisse/facture/{sold.number}/"))
    assert "DUPLICATA" not in body(cashier_client.get(f"/caisse/ticket/{sold.number}/"))


def test_the_original_must_be_printed_soon_after_the_sale(cashier_client, catalogue, monkeypatch):
    invoice = sell_at_the_till(cashier_client)
    later = time.time() + originals.ORIGINAL_WINDOW + 1
    monkeypatch.setattr(originals.time, "time", lambda: later)
    assert "DUPLICATA n° 1" in body(cashier_client.get(f"/caisse/ticket/{invoice.number}/"))


def test_the_till_screen_preview_and_my_sales_record_nothing(cashier_client, catalogue):
    sell_at_the_till(cashier_client)
    body(cashier_client.get(reverse("pos:index")))
    body(cashier_client.get(reverse("pos:my_sales")))
    assert reprints() == []
