"""What the printer prints: the receipt, the Z report and the test ticket, as lines of text.

Each ticket carries the data of its browser twin (``pos/_ticket.html``,
``pos/session_z.html``), read through the same selectors by the callers
(``printing.printouts``): this module lays it out in the paper's columns and keeps to
the characters the printer's code page has (``encodable``). Amounts are formatted by
:func:`~comptoir.lib.money.format_money`, as on screen (« 12,50 € », « 1 500 F CFA »).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from comptoir.lib.money import SYMBOLS, format_money
from comptoir.lib.quantity import format_quantity
from comptoir.printing.config import PrinterConfig

# What a code page for French has no room for, and what prints in its place. « ₣ » (the
# franc sign) is in neither CP858 nor CP1252: amounts in francs CFA print « F CFA ».
_FALLBACKS = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u20a3": "F",
        "\u2212": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
)


def encodable(text: str, encoding: str) -> str:
    """``text`` with only characters of ``encoding`` (others: a fallback, else « ? »)."""
    clean = "".join(c if c.isprintable() else " " for c in text.translate(_FALLBACKS))
    return clean.encode(encoding, "replace").decode(encoding)


@dataclass(frozen=True)
class Line:
    text: str = ""
    align: str = "left"
    bold: bool = False
    tall: bool = False


@dataclass
class Ticket:
    """Lines laid out for ``config``'s paper and code page."""

    config: PrinterConfig
    lines: list[Line] = field(default_factory=list)

    @property
    def columns(self) -> int:
        return self.config.columns

    def _clean(self, text: object) -> str:
        return encodable(str(text), self.config.encoding)

    def text(
        self, text: object, *, align: str = "left", bold: bool = False, tall: bool = False
    ) -> None:
        for part in str(text).splitlines() or [""]:
            wrapped = textwrap.wrap(self._clean(part), self.columns) or [""]
            self.lines.extend(Line(w, align, bold, tall) for w in wrapped)

    def pair(self, left: object, right: object, *, bold: bool = False, tall: bool = False) -> None:
        """``left`` and ``right`` on one line, ``right`` against the margin."""
        left, right = self._clean(left), self._clean(right)
        room = self.columns - len(right) - 1
        if len(left) > room:
            self.text(left, bold=bold, tall=tall)
            left = ""
        self.lines.append(Line(left.ljust(self.columns - len(right)) + right, "left", bold, tall))

    def columns_row(self, cells: Iterable[object]) -> None:
        """Cells in equal columns, the first left-aligned, the others right-aligned."""
        texts = [self._clean(c) for c in cells]
        size = self.columns // len(texts)
        first = texts[0][:size].ljust(size)
        rest = "".join(t.rjust(size) for t in texts[1:])
        self.lines.append(Line((first + rest)[: self.columns]))

    def rule(self) -> None:
        self.lines.append(Line("-" * self.columns))

    def blank(self) -> None:
        self.lines.append(Line())

    def plain(self) -> str:
        """The ticket as text (for tests and logs)."""
        return "\n".join(line.text for line in self.lines)


def _figure(minor: int, currency: str) -> str:
    """An amount without its currency (the columns of a VAT table are narrow)."""
    text = format_money(minor, currency)
    return text.removesuffix(SYMBOLS.get(currency, currency)).rstrip("\u00a0 ")


def _rate(rate: Decimal | str) -> str:
    """A VAT rate as the ticket shows it (« 20 », « 5,50 »): floatformat:"-2"."""
    value = Decimal(rate)
    if value == value.to_integral_value():
        return str(int(value))
    return number_format(value, decimal_pos=2, use_l10n=True)


def _quantity(value: Decimal) -> str:
    return number_format(
        Decimal(format_quantity(Decimal(value))), use_l10n=True, force_grouping=True
    )


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def _software() -> str:
    from comptoir import __version__

    return f"comptoir {__version__}"


def _head(ticket: Ticket, store: Any) -> None:
    """The store's identity, as ``pos/_ticket_head.html`` prints it."""
    ticket.text(store.name, align="center", bold=True, tall=True)
    if store.legal_name and store.legal_name != store.name:
        ticket.text(store.legal_name, align="center")
    if store.address:
        ticket.text(store.address, align="center")
    if store.postcode or store.city:
        place = f"{store.postcode} {store.city}".strip()
        ticket.text(
            place if store.country == "FR" else f"{place} ({store.country})", align="center"
        )
    if store.siret:
        ticket.text(f"{_('SIRET')} {store.siret}", align="center")
    elif store.registration_number:
        ticket.text(f"{_('Immatriculation')} {store.registration_number}", align="center")
    if store.vat_number:
        ticket.text(f"{_('TVA')} {store.vat_number}", align="center")
    if store.receipt_header:
        ticket.text(store.receipt_header, align="center")
    ticket.blank()


def receipt_ticket(invoice: Any, *, config: PrinterConfig, duplicate: int = 0) -> Ticket:
    """The sale's receipt (an invoice from ``sales.selectors.invoice_detail``), with
    « DUPLICATA n° N » when ``duplicate`` is a copy number (0: the original)."""
    ticket = Ticket(config)
    money = invoice.currency
    _head(ticket, invoice.store)
    if duplicate:
        ticket.text(_("DUPLICATA n° %(copy)s") % {"copy": duplicate}, align="center", bold=True)
    ticket.text(f"{_('Ticket')} {invoice.number}", bold=True)
    meta = f"{_when(invoice.validated_at)} - {invoice.till.name}"
    ticket.text(f"{meta} - {invoice.cashier}" if invoice.cashier else meta)
    if invoice.customer_name:
        ticket.text(f"{_('Client :')} {invoice.customer_name}")
    ticket.rule()
    for line in invoice.lines.all():
        ticket.text(line.label)
        detail = f"  {_quantity(line.quantity)} x {format_money(line.unit_price, money)}"
        if line.discount_rate:
            detail += f" - {_rate(line.discount_rate)} %"
        # (before the basket's discount, as the browser ticket shows the lines)
        ticket.pair(detail, format_money(line.total_incl_tax + line.basket_discount, money))
    if invoice.discount:
        asked = invoice.discount
        rate = f" {_rate(Decimal(asked.rstrip('%')))} %" if asked.endswith("%") else ""
        ticket.pair(f"{_('Remise')}{rate}", "-" + format_money(invoice.discount_amount, money))
    ticket.rule()
    ticket.pair(_("TOTAL TTC"), format_money(invoice.total_incl_tax, money), bold=True, tall=True)
    ticket.blank()
    ticket.columns_row([_("TVA"), _("HT"), _("TVA"), _("TTC")])
    for tax in invoice.taxes.all():
        ticket.columns_row(
            [
                f"{_rate(tax.vat_rate)} %",
                _figure(tax.base_excl_tax, money),
                _figure(tax.tax, money),
                _figure(tax.total_incl_tax, money),
            ]
        )
    ticket.blank()
    for payment in invoice.payments.all():
        ticket.pair(
            str(payment.get_method_display()).capitalize(), format_money(payment.amount, money)
        )
    if invoice.change_given:
        ticket.pair(_("Rendu"), format_money(invoice.change_given, money))
    ticket.blank()
    _foot(ticket, invoice.store, invoice)
    return ticket


def _foot(ticket: Ticket, store: Any, record: Any) -> None:
    """``pos/_ticket_foot.html``: the store's footer, the signature, the software."""
    ticket.text(store.receipt_footer or _("Merci de votre visite !"), align="center")
    if getattr(record, "signature", ""):
        ticket.text(
            _("Signature %(extract)s · journal n° %(sequence)s")
            % {"extract": record.signature_extract, "sequence": record.chain_sequence},
            align="center",
        )
    ticket.text(_software(), align="center")


def z_ticket(
    *,
    config: PrinterConfig,
    till: Any,
    session: Any,
    report: Mapping[str, Any],
    payment_labels: Mapping[str, str],
) -> Ticket:
    """The Z report of a closed cash session (``report``: ``SessionReport.as_data()``),
    as ``pos/session_z.html`` shows it."""
    ticket = Ticket(config)
    money = report["currency"]
    closing = session.closing
    ticket.text(till.store.name, align="center", bold=True, tall=True)
    ticket.text(_("Rapport Z, session n° %(n)s") % {"n": session.number}, align="center", bold=True)
    meta = f"{till.name} - {_when(session.opened_at)} -> {_when(closing.closed_at)}"
    ticket.text(f"{meta} - {closing.cashier}" if closing.cashier else meta)
    ticket.rule()
    for key, label in (("invoices", _("Factures")), ("credit_notes", _("Avoirs"))):
        documents = report[key]
        span = f" ({documents['first']} ... {documents['last']})" if documents["count"] else ""
        ticket.text(f"{label} : {documents['count']}{span}")
    ticket.blank()
    ticket.text(_("Ventes par taux de TVA"), bold=True)
    ticket.columns_row([_("TVA"), _("HT"), _("TVA"), _("TTC")])
    for row in report["invoices"]["by_rate"]:
        ticket.columns_row(
            [
                f"{_rate(row['rate'])} %",
                _figure(row["excl_vat"], money),
                _figure(row["vat"], money),
                _figure(row["incl_vat"], money),
            ]
        )
    ticket.pair(_("Retours TTC"), format_money(report["credit_notes"]["incl_vat"], money))
    ticket.pair(_("Remises accordées"), format_money(report["discounts"], money))
    ticket.pair(_("NET TTC"), format_money(report["net"]["incl_vat"], money), bold=True, tall=True)
    ticket.blank()
    ticket.text(_("Encaissements"), bold=True)
    for method, amount in report["payments"].items():
        ticket.pair(payment_labels.get(method, method), format_money(amount, money))
    for method, amount in report["refunds"].items():
        label = payment_labels.get(method, method)
        ticket.pair(_("Remboursé en %(label)s") % {"label": label}, format_money(-amount, money))
    ticket.blank()
    ticket.text(_("Espèces"), bold=True)
    cash = report["cash"]
    for key, label in (
        ("float", _("Fond de caisse")),
        ("in", _("Entrées")),
        ("out", _("Sorties")),
        ("expected", _("Attendu")),
        ("counted", _("Compté")),
    ):
        if cash[key] is not None:
            ticket.pair(label, format_money(cash[key], money))
    if cash["difference"] is not None:
        ticket.pair(_("Écart"), format_money(cash["difference"], money), bold=True)
    ticket.blank()
    ticket.text(_software(), align="center")
    return ticket


def sample_ticket(*, config: PrinterConfig, store: Any, till: Any, currency: str) -> Ticket:
    """A short ticket that shows the paper's width and the accented letters and currency."""
    ticket = Ticket(config)
    _head(ticket, store)
    ticket.text(_("Ticket de test"), align="center", bold=True, tall=True)
    ticket.text(f"{till.name} - {_when(timezone.now())}")
    ticket.text(config.describe())
    ticket.text(
        _("Papier %(width)s mm, page de code %(encoding)s")
        % {"width": config.width, "encoding": config.encoding}
    )
    ticket.rule()
    ticket.text(_("Accents : é è ê à ç ù ô î ï É À Ç"))
    ticket.pair(_("Montant"), format_money(123450, currency))
    ticket.pair("EUR", format_money(1250, "EUR"))
    ticket.pair("XOF", format_money(1500, "XOF"))
    ticket.rule()
    ticket.text("1234567890" * (config.columns // 10) + "1234567890"[: config.columns % 10])
    ticket.text(_software(), align="center")
    return ticket
