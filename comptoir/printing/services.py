"""Writes of the printer setting, and the printouts: receipts, Z reports, test, drawer.

The setting is written by ``printer_set``/``printer_off`` (use cases). The printouts
read what they print through the selectors the browser pages use (``invoice_detail``,
``report_z``), then talk to the printer after those reads, outside any transaction
(``printing.device``): they never write anything but, for a drawer opened by hand, one
``drawer_opened`` technical event once the pulse has been sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.cash.models import CashSession
from comptoir.cash.selectors import report_z
from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.lib.usecases import use_case
from comptoir.printing.config import NONE, PrinterConfig, config_check
from comptoir.printing.device import ticket_send
from comptoir.printing.errors import PrinterUnavailable
from comptoir.printing.models import PrinterSettings
from comptoir.printing.selectors import printer_get
from comptoir.printing.tickets import receipt_ticket, sample_ticket, z_ticket
from comptoir.sales.selectors import invoice_detail, payment_method_names, payment_rules
from comptoir.stores.models import Till


@transaction.atomic(savepoint=False)
def printer_set_block(*, till: Till, config: PrinterConfig) -> PrinterConfig:
    """Store ``config`` as ``till``'s printer (checked first: nothing is written when a
    value is refused)."""
    clean = config_check(config)
    PrinterSettings.objects.update_or_create(
        till=till,
        defaults={
            "kind": clean.kind,
            "target": clean.target,
            "encoding": clean.encoding,
            "width": clean.width,
            "print_on_sale": clean.print_on_sale,
            "open_drawer": clean.open_drawer,
        },
    )
    return clean


printer_set = use_case(printer_set_block)


@transaction.atomic(savepoint=False)
def printer_off_block(*, till: Till) -> bool:
    """The till prints through the browser again; False when it already did. The other
    settings (paper, code page...) are kept for the next ``printer set``."""
    return bool(
        PrinterSettings.objects.filter(till=till).exclude(kind=NONE).update(kind=NONE, target="")
    )


printer_off = use_case(printer_off_block)


def _config(till: Till) -> PrinterConfig:
    config = printer_get(till=till)
    if not config.enabled:
        raise PrinterUnavailable(_("aucune imprimante n'est configurée sur cette caisse."))
    return config


def receipt_print(*, till: Till, number: str, duplicate: int = 0) -> None:
    """Print the receipt of invoice ``number`` (« DUPLICATA n° ``duplicate`` » unless 0).
    Raises :class:`PrinterUnavailable`."""
    config = _config(till)
    invoice = invoice_detail(number=number, store_ids=[till.store_id])
    ticket_send(config, receipt_ticket(invoice, config=config, duplicate=duplicate))


@dataclass(frozen=True)
class SaleOutcome:
    """What the printer did after a sale: ``printed`` its receipt, ``drawer`` opened,
    or the ``error`` (one sentence) that kept it from doing so."""

    printed: bool = False
    drawer: bool = False
    error: str = ""


def sale_print(*, till: Till, number: str) -> SaleOutcome | None:
    """After a sale was validated (committed): print its receipt if the till prints on
    validation, and pulse the drawer if it was paid (partly) in cash and the till opens
    it. None when the setting asks for neither. Never raises for the printer: a printer
    failure costs the receipt, never the sale."""
    config = printer_get(till=till)
    if not config.enabled:
        return None
    invoice = invoice_detail(number=number, store_ids=[till.store_id])
    # The drawer opens for the methods that give change: cash (the store's one cash method).
    rules = payment_rules(store=till.store)
    cash_codes = {code for code, rule in rules.items() if rule.gives_change} | {"cash"}
    cash = any(p.method in cash_codes for p in invoice.payments.all())
    drawer = config.open_drawer and cash
    if not config.print_on_sale and not drawer:
        return None
    ticket = receipt_ticket(invoice, config=config) if config.print_on_sale else None
    try:
        ticket_send(config, ticket, drawer=drawer)
    except PrinterUnavailable as error:
        return SaleOutcome(error=error.message)
    return SaleOutcome(printed=ticket is not None, drawer=drawer)


def z_print(*, till: Till, session: CashSession) -> None:
    """Print the Z report of ``session`` (closed) of ``till``. Raises
    :class:`PrinterUnavailable`, or ``NotFoundError`` for a session still open."""
    config = _config(till)
    report = report_z(session=session).as_data()
    labels = payment_method_names(store_ids=[till.store_id])
    ticket_send(
        config,
        z_ticket(config=config, till=till, session=session, report=report, payment_labels=labels),
    )


def _drawer_opened(*, till: Till, user: str, source: str) -> None:
    with transaction.atomic(durable=True):
        event_record(kind=EventKind.DRAWER_OPENED, details={"source": source}, till=till, user=user)


def drawer_open(*, till: Till, user: str, source: str) -> None:
    """Open the cash drawer by hand (no sale) and log it as a ``drawer_opened`` event.
    Raises :class:`PrinterUnavailable` (then nothing is logged: the drawer stayed shut)."""
    ticket_send(_config(till), None, drawer=True)
    _drawer_opened(till=till, user=user, source=source)


def printer_test(*, till: Till, user: str, source: str) -> PrinterConfig:
    """Print a test ticket and open the drawer (logged like a drawer opened by hand)."""
    config = _config(till)
    store = till.store
    ticket = sample_ticket(config=config, store=store, till=till, currency=store.currency)
    ticket_send(config, ticket, drawer=True)
    _drawer_opened(till=till, user=user, source=source)
    return config
