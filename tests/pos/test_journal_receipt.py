"""Receipts print a short extract of the record's signature, its place in the fiscal
journal, and the software version."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from comptoir import __version__
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell

pytestmark = pytest.mark.django_db


def test_receipts_print_the_signature_extract_and_the_version(
    cashier_client: Client, catalogue: None
) -> None:
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], cashier="alice")
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)])
    for name, record in (("pos:receipt", invoice), ("pos:credit_note_receipt", note)):
        html = unescape(cashier_client.get(reverse(name, args=[record.number])).content.decode())
        assert len(record.signature_extract) == 8
        assert f"Signature {record.signature_extract} · journal n° {record.chain_sequence}" in html
        assert f"comptoir {__version__}" in html
