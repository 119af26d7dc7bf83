"""Talking to the printer: open it with python-escpos, send a ticket, close it.

Every call is bounded (``TIMEOUT`` seconds to connect and to send) and runs outside any
database transaction: a printer that is off, unplugged or jammed costs the till at most
a few seconds and never a sale. Whatever goes wrong comes back as
:class:`~comptoir.printing.errors.PrinterUnavailable` with one French sentence.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from comptoir.printing.config import SERIAL, TCP, USB, WINDOWS, PrinterConfig, tcp_parse, usb_parse
from comptoir.printing.errors import PrinterUnavailable
from comptoir.printing.tickets import Ticket

log = logging.getLogger(__name__)

TIMEOUT = 2.5  # seconds
DRAWER_PIN = 2  # the drawer kick-out connector's pin 2, the one most drawers use


def _outside_transaction() -> None:
    """Printing waits on a device: it must never hold a transaction (and its locks) open.
    The test case's own transaction does not count."""
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("printing inside a database transaction")


def _open(config: PrinterConfig) -> Any:
    from escpos import printer

    if config.kind == TCP:
        host, port = tcp_parse(config.target)
        device = printer.Network(host, port, timeout=TIMEOUT)
    elif config.kind == USB:
        vendor, product = usb_parse(config.target)
        device = printer.Usb(vendor, product, timeout=int(TIMEOUT * 1000))
    elif config.kind == SERIAL:
        device = printer.Serial(devfile=config.target, timeout=TIMEOUT)
    elif config.kind == WINDOWS:
        device = printer.Win32Raw(printer_name=config.target)
    else:
        raise PrinterUnavailable(_("Aucune imprimante n'est configurée sur cette caisse."))
    device.open()
    return device


# What the drivers say (in English, and differently for each), as one French phrase.
_REASONS = (
    (("refused",), gettext_noop("connexion refusée")),
    (("timed out", "timeout"), gettext_noop("pas de réponse dans le délai")),
    (
        ("name or service not known", "getaddrinfo", "nodename nor servname"),
        gettext_noop("adresse inconnue"),
    ),
    (("no route to host", "network is unreachable"), gettext_noop("réseau injoignable")),
    (("no backend",), gettext_noop("pilote USB (libusb) absent sur ce poste")),
    (("win32print",), gettext_noop("pilote d'impression Windows absent sur ce poste")),
    (
        ("no such file", "could not open port", "cable not plugged"),
        gettext_noop("introuvable (débranchée ?)"),
    ),
    (
        ("permission denied", "access denied", "errno 13"),
        gettext_noop("accès refusé par le système"),
    ),
)


def _reason(error: BaseException) -> str:
    text = str(error).lower()
    for needles, reason in _REASONS:
        if any(needle in text for needle in needles):
            return _(reason)
    if isinstance(error, socket.timeout | TimeoutError):
        return _("pas de réponse dans le délai")
    if isinstance(error, ImportError):
        return _("pilote absent sur ce poste")
    lines = str(error).strip().splitlines()
    return lines[-1] if lines else error.__class__.__name__


def _write(device: Any, ticket: Ticket | None, *, encoding: str, drawer: bool) -> None:
    if ticket is not None:
        device.charcode(encoding)
        for line in ticket.lines:
            device.set_with_default(
                align=line.align, bold=line.bold, double_height=line.tall, double_width=False
            )
            device.text(line.text + "\n")
        device.set_with_default()
        device.cut()
    if drawer:
        device.cashdraw(DRAWER_PIN)


def ticket_send(config: PrinterConfig, ticket: Ticket | None, *, drawer: bool = False) -> None:
    """Print ``ticket`` (None: nothing), cut the paper, then pulse the drawer if ``drawer``.

    Raises :class:`PrinterUnavailable` (one sentence) when the printer cannot be reached
    or stops answering."""
    _outside_transaction()
    device = None
    try:
        device = _open(config)
        _write(device, ticket, encoding=config.encoding, drawer=drawer)
    except PrinterUnavailable:
        raise
    except Exception as error:
        log.debug("imprimante %s : %s", config.describe(), error)
        raise PrinterUnavailable(
            _("l'imprimante (%(printer)s) ne répond pas : %(reason)s.")
            % {"printer": config.describe(), "reason": _reason(error)}
        ) from None
    finally:
        if device is not None:
            try:
                device.close()
            except Exception:
                log.debug("fermeture de l'imprimante impossible", exc_info=True)
