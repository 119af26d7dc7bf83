"""The till screen and the ESC/POS printer: the receipt at validation, the drawer pulse on
cash only, reprints as « DUPLICATA », the Z report, and a dead printer that costs the
paper receipt but never the sale. Bytes are checked as the fake network printer got them."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.cash.services import session_close, session_open
from comptoir.catalogue.services import article_create
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.sales.models import Invoice
from comptoir.stores.models import Till
from tests.pos.conftest import FETCH, PAIN_EAN
from tests.printing.conftest import FakePrinter, use_printer

pytestmark = pytest.mark.django_db

ESC_P = b"\x1bp"  # drawer kick-out (ESC p)
CUT = b"\x1dV"  # paper cut (GS V)
CP858 = b"\x1bt\x13"  # ESC t 19: code page 858


def text(response) -> str:
    return unescape(response.content.decode())


def sell(client: Client, *, pay: dict[str, str], code: str = PAIN_EAN, fetch: bool = True):
    client.post(reverse("pos:scan"), {"q": code}, headers=FETCH)
    response = client.post(reverse("pos:validate"), pay, headers=FETCH if fetch else {})
    assert response.status_code in (200, 302), text(response)
    return Invoice.objects.latest("validated_at"), response


def test_a_cash_sale_prints_its_receipt_in_cp858_cuts_and_opens_the_drawer(
    cashier_client: Client, catalogue: None, printer_on: FakePrinter
) -> None:
    article_create(code="CAFE", name="Café moulu", sale_price="4.50", vat_rate="5.5")
    invoice, response = sell(cashier_client, pay={"pay_cash": "10"}, code="CAFE")
    assert "Ticket imprimé." in text(response)
    [job] = printer_on.wait()
    assert CP858 in job
    assert "Café moulu".encode("cp858") in job  # « é » as 0x82
    assert b"4,50 \xd5" in job  # « € » as 0xD5 in CP858
    assert f"Ticket {invoice.number}".encode() in job
    assert b"TOTAL TTC" in job
    assert b"Rendu" in job
    assert b"5,50 \xd5" in job
    assert b"Magasin principal" in job
    assert CUT in job
    assert job.rindex(ESC_P) > job.rindex(CUT)  # the drawer opens once the ticket is cut
    # The printer printed the original: the browser's print of it is a duplicate now.
    receipt = cashier_client.get(reverse("pos:receipt", args=[invoice.number]))
    assert "DUPLICATA n° 1" in text(receipt)


def test_a_card_sale_prints_without_opening_the_drawer(
    cashier_client: Client, catalogue: None, printer_on: FakePrinter
) -> None:
    sell(cashier_client, pay={"pay_card": "1.20"})
    [job] = printer_on.wait()
    assert b"TOTAL TTC" in job
    assert CUT in job
    assert ESC_P not in job


def test_the_drawer_opens_on_cash_even_when_the_receipt_is_not_printed(
    cashier_client: Client, catalogue: None, till: Till, fake_printer: FakePrinter
) -> None:
    use_printer(till, fake_printer.address, print_on_sale=False)
    sell(cashier_client, pay={"pay_cash": "5"})
    [job] = fake_printer.wait()
    assert ESC_P in job
    assert CUT not in job
    assert b"TOTAL" not in job


def test_a_printer_that_refuses_the_connection_keeps_the_sale_and_says_so(
    cashier_client: Client, catalogue: None, till: Till, dead_address: str
) -> None:
    use_printer(till, dead_address)
    invoice, response = sell(cashier_client, pay={"pay_cash": "5"})
    page = text(response)
    assert response.status_code == 200
    assert f"Vente {invoice.number} validée" in page
    assert (
        f"Ticket non imprimé : l'imprimante (réseau {dead_address}) ne répond pas : "
        "connexion refusée." in page
    )
    assert "Traceback" not in page
    assert Invoice.objects.count() == 1
    # The browser print is the fallback, and it is still the original.
    receipt = cashier_client.get(reverse("pos:receipt", args=[invoice.number]))
    assert "DUPLICATA" not in text(receipt)


def test_without_script_a_dead_printer_is_said_on_the_receipt_page(
    cashier_client: Client, catalogue: None, till: Till, dead_address: str
) -> None:
    use_printer(till, dead_address)
    invoice, response = sell(cashier_client, pay={"pay_cash": "5"}, fetch=False)
    page = text(cashier_client.get(response["Location"]))
    assert "Ticket non imprimé : l'imprimante" in page
    assert invoice.number in page


def test_a_reprint_on_the_printer_is_a_duplicate_and_is_logged(
    cashier_client: Client, catalogue: None, printer_on: FakePrinter
) -> None:
    invoice, _ = sell(cashier_client, pay={"pay_card": "1.20"})
    sales = text(cashier_client.get(reverse("pos:my_sales")))
    assert reverse("pos:receipt_print", args=[invoice.number]) in sales
    response = cashier_client.post(reverse("pos:receipt_print", args=[invoice.number]))
    assert response["Location"] == reverse("pos:my_sales")
    original, copy = printer_on.wait(2)
    assert b"DUPLICATA" not in original
    assert "DUPLICATA n° 1".encode("cp858") in copy
    assert f"Ticket {invoice.number}".encode() in copy
    assert ESC_P not in copy  # a reprint never opens the drawer
    event = TechnicalEvent.objects.get(kind=EventKind.REPRINT)
    assert event.details_data == {
        "copy": 1,
        "document": "invoice",
        "form": "receipt",
        "number": invoice.number,
    }


def test_a_reprint_on_a_dead_printer_is_a_message_not_an_error(
    cashier_client: Client, catalogue: None, till: Till, dead_address: str
) -> None:
    invoice, _ = sell(cashier_client, pay={"pay_card": "1.20"})
    use_printer(till, dead_address)
    response = cashier_client.post(reverse("pos:receipt_print", args=[invoice.number]), follow=True)
    assert response.status_code == 200
    assert "Ticket non imprimé : l'imprimante" in text(response)


def test_the_z_report_of_a_closed_session_prints(
    cashier_client: Client, catalogue: None, till: Till, printer_on: FakePrinter
) -> None:
    session_open(amount="100", cashier="alice")
    sell(cashier_client, pay={"pay_cash": "5"})
    session_close(counted="101.20", cashier="alice")
    page = text(cashier_client.get(reverse("pos:session_z", args=[1])))
    assert reverse("pos:session_z_print", args=[1]) in page
    response = cashier_client.post(reverse("pos:session_z_print", args=[1]), follow=True)
    assert "Rapport Z imprimé." in text(response)
    _sale, z = printer_on.wait(2)
    assert "Rapport Z, session n° 1".encode("cp858") in z
    assert b"NET TTC" in z
    assert b"1,20 \xd5" in z
    assert "Compté".encode("cp858") in z
    assert b"101,20 \xd5" in z
    assert "Écart".encode("cp858") in z
    assert CUT in z
    assert ESC_P not in z


def test_a_manager_opens_the_drawer_from_the_till_and_it_is_logged(
    manager_client: Client, cashier_client: Client, printer_on: FakePrinter
) -> None:
    assert "Ouvrir le tiroir" in text(manager_client.get(reverse("pos:index")))
    assert "Ouvrir le tiroir" not in text(cashier_client.get(reverse("pos:index")))
    refused = cashier_client.post(reverse("pos:drawer_open"), follow=True)
    assert "Seul un gérant peut ouvrir le tiroir" in text(refused)
    assert not TechnicalEvent.objects.filter(kind=EventKind.DRAWER_OPENED).exists()
    response = manager_client.post(reverse("pos:drawer_open"), follow=True)
    assert "Tiroir ouvert" in text(response)
    [job] = printer_on.wait()
    assert ESC_P in job
    assert CUT not in job
    event = TechnicalEvent.objects.get(kind=EventKind.DRAWER_OPENED)
    assert (event.user, event.details_data) == ("gerant", {"source": "screen"})


def test_a_drawer_that_cannot_be_reached_is_not_logged_as_opened(
    manager_client: Client, till: Till, dead_address: str
) -> None:
    use_printer(till, dead_address)
    response = manager_client.post(reverse("pos:drawer_open"), follow=True)
    assert "Tiroir non ouvert : l'imprimante" in text(response)
    assert not TechnicalEvent.objects.filter(kind=EventKind.DRAWER_OPENED).exists()
