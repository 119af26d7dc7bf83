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


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError) or "refused" in str(error).lower():
        return _("connexion refusée")
    if isinstance(error, socket.timeout | TimeoutError) or "timed out" in str(error).lower():
        return _("pas de réponse dans le délai")
    if isinstance(error, ImportError):
        return _("pilote absent sur ce poste")
    text = str(error).strip().splitlines()
    return text[-1] if text else error.__class__.__name__


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
        log.warning("imprimante %s : %s", config.describe(), error)
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
