"""The layout of a ticket and its bytes (built with python-escpos's ``Dummy`` printer):
columns of the paper, the code page's characters, cut and drawer pulse."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from comptoir.printing.config import PrinterConfig
from comptoir.printing.device import _write
from comptoir.printing.tickets import Ticket, encodable, receipt_ticket
from comptoir.sales.services import SaleLine, invoice_sell
from tests.factories import at, make_article


def test_characters_a_code_page_lacks_print_as_their_fallback() -> None:
    assert encodable("1\u202f500\u00a0₣ – « café » …", "cp858") == "1 500 F - « café » ..."
    assert encodable("“ok” ’", "cp858") == '"ok" \''
    assert encodable("Ωmega\tx", "cp858") == "?mega x"


def test_a_long_label_and_its_amount_keep_to_the_paper_width() -> None:
    ticket = Ticket(PrinterConfig(width=58))
    ticket.pair("Un article au nom bien trop long pour tenir", "1 234,50 €")
    assert all(len(line.text) <= 32 for line in ticket.lines)
    assert ticket.lines[-1].text.endswith("1 234,50 €")
    ticket = Ticket(PrinterConfig(width=80))
    ticket.pair("Pain", "1,20 €")
    assert ticket.plain() == "Pain" + " " * 38 + "1,20 €"


def test_bytes_select_the_code_page_then_cut_then_pulse_the_drawer() -> None:
    config = PrinterConfig(kind="tcp", target="h:9100", encoding="CP1252")
    ticket = Ticket(config)
    ticket.pair("Café", "12,50 €", bold=True)
    device = Dummy()
    _write(device, ticket, encoding=config.encoding, drawer=True)
    out = device.output
    assert b"\x1bt\x10" in out  # ESC t 16: CP1252
    assert b"Caf\xe9" in out
    assert b"12,50 \x80" in out
    assert out.index(b"\x1dV") < out.index(b"\x1bp")
    device = Dummy()
    _write(device, None, encoding="CP858", drawer=True)
    assert device.output == b"\x1bp\x00\x32\x32"


@pytest.mark.django_db
def test_a_basket_discount_prints_as_the_browser_ticket_shows_it(till: object) -> None:
    """Lines before the basket's discount, then « Remise 10 % -2,30 € », then the total."""
    make_article("A", "10.00", vat="20")
    make_article("B", "13.00", vat="5.5")
    invoice = invoice_sell(lines=[SaleLine("A", 1), SaleLine("B", 1)], discount="10%", at=at(3))
    text = receipt_ticket(invoice, config=PrinterConfig(width=80)).plain()
    assert "13,00 €" in text
    assert "10,00 €" in text
    [discount] = [line for line in text.splitlines() if line.startswith("Remise")]
    assert discount.startswith("Remise 10 %"), discount
    assert discount.endswith("-2,30 €"), discount
    assert "20,70 €" in text  # TOTAL TTC
