"""The printer settings page of the back office: a manager's, on a till; saves through the
service (its French refusals as form errors) and prints a test ticket."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.printing.config import PrinterConfig
from comptoir.printing.models import PrinterSettings
from comptoir.printing.selectors import printer_get
from comptoir.stores.models import Till
from tests.printing.conftest import FakePrinter, use_printer

pytestmark = pytest.mark.django_db

URL = reverse("backoffice:printer")
TEST_URL = reverse("backoffice:printer_test")


def form(**values: Any) -> dict[str, Any]:
    data = {"kind": "tcp", "target": "", "encoding": "CP858", "width": "80"}
    data.update({"print_on_sale": "on", "open_drawer": "on"}, **values)
    return {k: v for k, v in data.items() if v is not None}


def text(response: Any) -> str:
    return unescape(response.content.decode())


def test_only_a_manager_sees_and_changes_the_printer(
    cashier_client: Client, manager_client: Client, till: Till
) -> None:
    assert cashier_client.get(URL).status_code == 403
    assert cashier_client.post(URL, form(target="10.0.0.9:9100")).status_code == 403
    assert cashier_client.post(TEST_URL).status_code == 403
    assert not PrinterSettings.objects.exists()
    page = text(manager_client.get(URL))
    assert "Imprimante de tickets" in page
    assert "Imprimer un ticket de test" not in page


def test_a_manager_saves_the_printer_then_prints_a_test_ticket(
    manager_client: Client, till: Till, fake_printer: FakePrinter
) -> None:
    response = manager_client.post(
        URL, form(target=f" {fake_printer.address} ", width="58", open_drawer=None)
    )
    assert response["Location"] == URL
    assert printer_get(till=till) == PrinterConfig(
        kind="tcp", target=fake_printer.address, width=58, open_drawer=False
    )
    page = text(manager_client.get(URL))
    assert "Imprimante enregistrée." in page
    assert f"Imprimante enregistrée : réseau {fake_printer.address}." in page
    response = manager_client.post(TEST_URL, follow=True)
    assert "Ticket de test imprimé ; le tiroir a été ouvert." in text(response)
    [job] = fake_printer.wait()
    assert "Ticket de test".encode("cp858") in job
    assert b"12345678901234567890123456789012\n" in job  # 32 columns on 58 mm paper
    assert b"\x1bp" in job
    event = TechnicalEvent.objects.get(kind=EventKind.DRAWER_OPENED)
    assert (event.user, event.details_data) == ("gerant", {"source": "settings"})


def test_a_bad_port_is_a_form_error_and_nothing_is_saved(
    manager_client: Client, till: Till
) -> None:
    response = manager_client.post(URL, form(target="imprimante:neuf-cent"))
    assert response.status_code == 422
    assert "Port d'imprimante invalide : « neuf-cent »" in text(response)
    assert not PrinterSettings.objects.exists()


def test_a_test_ticket_on_a_dead_printer_is_a_message(
    manager_client: Client, till: Till, dead_address: str
) -> None:
    use_printer(till, dead_address)
    response = manager_client.post(TEST_URL, follow=True)
    assert "Ticket de test non imprimé : l'imprimante" in text(response)
    assert not TechnicalEvent.objects.filter(kind=EventKind.DRAWER_OPENED).exists()


def test_the_hub_has_no_printer_page_to_fill(manager_client: Client, settings: Any) -> None:
    settings.COMPTOIR_ROLE = "hub"
    page = text(manager_client.get(URL))
    assert "ce poste n'a pas de caisse" in page
    assert manager_client.post(URL, form(target="10.0.0.9:9100")).status_code == 200
    assert not PrinterSettings.objects.exists()
