"""The training mode on the till screen: the manager's switch, the banner, validation in
the mode the screen showed, the « FORMATION » receipt, no credit note while training."""

from __future__ import annotations

from html import unescape

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.pos.basket import SESSION_KEY
from comptoir.sales.models import CreditNote, Invoice, InvoiceDraft
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.training.models import TrainingSale
from comptoir.training.selectors import training_active
from comptoir.training.services import training_set
from tests.factories import db_state
from tests.pos.conftest import FETCH

pytestmark = pytest.mark.django_db

BANNER = "MODE FORMATION"


def body(response: HttpResponse) -> str:
    return unescape(response.content.decode())


def switches() -> list[tuple[str, str]]:
    return list(
        TechnicalEvent.objects.filter(kind__in=[EventKind.TRAINING_ON, EventKind.TRAINING_OFF])
        .order_by("number")
        .values_list("kind", "user")
    )


def ring_and_pay(client: Client, *, training: str | None) -> HttpResponse:
    for code in ("PAIN", "VIN"):
        assert client.post(reverse("pos:scan"), {"q": code}, headers=FETCH).status_code == 200
    data = {"pay_cash": "20"}
    if training is not None:
        data["training"] = training
    return client.post(reverse("pos:validate"), data, headers=FETCH)


def test_a_manager_switches_training_on_and_off_and_each_switch_is_logged(
    manager_client: Client, cashier_client: Client, till: Till
) -> None:
    url = reverse("pos:training")
    assert BANNER not in body(cashier_client.get(reverse("pos:index")))
    assert manager_client.post(url, {"on": "1"}).status_code == 302
    assert training_active(till=till)
    manager_client.post(url, {"on": "1"})  # already on: nothing more recorded
    assert BANNER in body(cashier_client.get(reverse("pos:index")))
    manager_client.post(url, {"on": "0"})
    assert not training_active(till=till)
    assert switches() == [("training_on", "gerant"), ("training_off", "gerant")]
    assert BANNER not in body(cashier_client.get(reverse("pos:index")))


def test_a_cashier_sees_the_mode_but_cannot_switch_it(
    cashier_client: Client, till: Till, training_on: None
) -> None:
    url = reverse("pos:training")
    page = body(cashier_client.get(url))
    assert "Seul un gérant" in page
    assert BANNER in page
    assert cashier_client.post(url, {"on": "0"}).status_code == 403
    assert switches() == [("training_on", "gerant")]
    assert training_active(till=till)


def test_in_training_the_till_makes_a_training_sale_and_prints_formation(
    cashier_client: Client, catalogue: None, training_on: None
) -> None:
    index = body(cashier_client.get(reverse("pos:index")))
    assert BANNER in index
    assert 'name="training" value="1"' in index
    response = ring_and_pay(cashier_client, training="1")
    assert response.status_code == 200
    html = body(response)
    assert "Vente de formation FORMATION-C1-000001 validée" in html
    assert "Ticket sans valeur" in html
    assert not Invoice.objects.exists()
    sale = TrainingSale.objects.get()
    assert (sale.number, sale.total_incl_tax, sale.change_given) == (
        "FORMATION-C1-000001",
        1010,
        990,
    )
    assert SESSION_KEY not in cashier_client.session  # the basket is done
    receipt = body(cashier_client.get(reverse("pos:training_receipt", args=[sale.number])))
    # The mark is printed at the head and at the foot of the ticket.
    assert receipt.count("<strong>FORMATION</strong>") == 2
    assert receipt.count("Ticket sans valeur") == 2
    assert "DUPLICATA" not in receipt
    assert "Signature" not in receipt
    # Printing it again records nothing (it is no document): no reprint event.
    cashier_client.get(reverse("pos:training_receipt", args=[sale.number]))
    assert not TechnicalEvent.objects.filter(kind=EventKind.REPRINT).exists()
    # A training number is no invoice: the invoice receipt does not know it.
    assert cashier_client.get(reverse("pos:receipt", args=[sale.number])).status_code == 404


def test_a_real_receipt_never_prints_the_training_mark(
    cashier_client: Client, catalogue: None
) -> None:
    response = ring_and_pay(cashier_client, training="0")
    assert response.status_code == 200
    invoice = Invoice.objects.get()
    receipt = body(cashier_client.get(reverse("pos:receipt", args=[invoice.number])))
    assert "Ticket sans valeur" not in receipt
    assert not TrainingSale.objects.exists()


@pytest.mark.parametrize("shown", ["0", None])
def test_a_basket_is_not_validated_when_training_began_after_the_screen_was_shown(
    cashier_client: Client, catalogue: None, till: Till, shown: str | None
) -> None:
    for code in ("PAIN",):
        cashier_client.post(reverse("pos:scan"), {"q": code}, headers=FETCH)
    training_set(on=True, till=till, user="gerant")  # meanwhile, a manager switches
    before = db_state()
    data = {"pay_cash": "20", **({"training": shown} if shown is not None else {})}
    response = cashier_client.post(reverse("pos:validate"), data, headers=FETCH)
    assert response.status_code == 422
    assert "Le mode formation vient d'être activé" in body(response)
    assert db_state() == before
    assert not TrainingSale.objects.exists()
    assert InvoiceDraft.objects.exists()  # the basket is kept


def test_a_basket_shown_in_training_is_not_sold_for_real_once_training_is_off(
    cashier_client: Client, catalogue: None, till: Till, training_on: None
) -> None:
    cashier_client.post(reverse("pos:scan"), {"q": "PAIN"}, headers=FETCH)
    training_set(on=False, till=till, user="gerant")
    response = cashier_client.post(
        reverse("pos:validate"), {"pay_cash": "20", "training": "1"}, headers=FETCH
    )
    assert response.status_code == 422
    assert "Le mode formation vient d'être désactivé" in body(response)
    assert not Invoice.objects.exists()
    assert not TrainingSale.objects.exists()


def test_no_credit_note_is_issued_from_a_till_in_training(
    cashier_client: Client, catalogue: None, till: Till
) -> None:
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], till=till)
    training_set(on=True, till=till, user="gerant")
    before = db_state()
    response = cashier_client.post(
        reverse("pos:credit_note", args=[invoice.number]), {"all": "1", "refund_method": "cash"}
    )
    assert response.status_code == 422
    assert "mode formation" in body(response)
    assert db_state() == before
    assert not CreditNote.objects.exists()
