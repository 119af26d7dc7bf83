"""``comptoir printer set|show|test|off``: the setting from the command line, the test
ticket on the fake printer, and bad input refused in French with exit code 2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.printing.config import PrinterConfig
from comptoir.printing.models import PrinterSettings
from comptoir.printing.selectors import printer_get
from comptoir.stores.models import Till
from tests.printing.conftest import FakePrinter, use_printer

pytestmark = pytest.mark.django_db


def test_set_show_test_off_from_the_command_line(
    till: Till, cli: Callable[..., str], cli_json: Callable[..., Any], fake_printer: FakePrinter
) -> None:
    assert "aucune imprimante" in cli("printer", "show")
    out = cli("printer", "set", "--tcp", fake_printer.address, "--width", "58", "--no-drawer")
    assert f"imprimante réseau {fake_printer.address}, papier 58 mm" in out
    assert "tiroir sur paiement en espèces : non" in out
    assert cli_json("printer", "show") == {
        "till": "C1",
        "kind": "tcp",
        "target": fake_printer.address,
        "encoding": "CP858",
        "width": 58,
        "print_on_sale": True,
        "open_drawer": False,
    }
    # A second ``set`` keeps what it does not name.
    cli("printer", "set", "--usb", "4B8:202", "--encoding", "cp1252")
    assert printer_get(till=till) == PrinterConfig(
        kind="usb", target="04b8:0202", encoding="CP1252", width=58, open_drawer=False
    )
    cli("printer", "set", "--tcp", fake_printer.address)
    assert "Ticket de test envoyé" in cli("printer", "test")
    [job] = fake_printer.wait()
    assert "Ticket de test".encode("cp1252") in job
    assert "é è".encode("cp1252") in job
    assert b"\x80" in job
    assert b"1 500 F CFA" in job
    assert b"\x1dV" in job
    assert b"\x1bp" in job
    event = TechnicalEvent.objects.get(kind=EventKind.DRAWER_OPENED)
    assert event.details_data == {"source": "cli"}
    assert "aucune imprimante" in cli("printer", "off")
    assert not printer_get(till=till).enabled
    assert printer_get(till=till).width == 58  # kept for the next ``set``


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tcp", "192.168.1.50:abc"), "Port d'imprimante invalide : « abc »"),
        (("--tcp", "192.168.1.50"), "Adresse d'imprimante invalide"),
        (("--usb", "04b8:zz01"), "Identifiant USB invalide : « 04b8:zz01 »"),
        (("--usb", "04b8"), "Identifiant USB invalide"),
        (("--tcp", "h:9100", "--width", "70"), "Largeur de papier invalide : 70 mm"),
        (("--tcp", "h:9100", "--width", "large"), "Largeur de papier invalide"),
        (("--tcp", "h:9100", "--encoding", "utf8"), "Page de code inconnue"),
        (("--serial", ""), "Indiquez où se trouve l'imprimante"),
    ],
)
def test_bad_settings_are_refused_in_french_and_nothing_is_written(
    till: Till, cli_fail: Callable[..., str], args: tuple[str, ...], message: str
) -> None:
    use_printer(till, "127.0.0.1:9100")
    before = list(PrinterSettings.objects.values())
    err = cli_fail("printer", "set", *args)
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert list(PrinterSettings.objects.values()) == before


def test_a_test_on_an_unreachable_printer_is_one_sentence_and_logs_nothing(
    till: Till, cli_fail: Callable[..., str], dead_address: str
) -> None:
    use_printer(till, dead_address)
    err = cli_fail("printer", "test")
    assert err.strip() == (
        f"Erreur : l'imprimante (réseau {dead_address}) ne répond pas : connexion refusée."
    )
    assert not TechnicalEvent.objects.filter(kind=EventKind.DRAWER_OPENED).exists()


def test_a_test_without_a_printer_says_so(till: Till, cli_fail: Callable[..., str]) -> None:
    assert "aucune imprimante n'est configurée" in cli_fail("printer", "test")


def test_a_serial_port_that_does_not_exist_is_said_in_french(
    till: Till, cli: Callable[..., str], cli_fail: Callable[..., str]
) -> None:
    cli("printer", "set", "--serial", "/dev/ttyPAS-LA")
    err = cli_fail("printer", "test")
    assert err.strip() == (
        "Erreur : l'imprimante (port série /dev/ttyPAS-LA) ne répond pas : "
        "introuvable (débranchée ?)."
    )
