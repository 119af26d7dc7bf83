"""Receipts print a short extract of the record's signature, its place in the journal and
the software version; ``comptoir status`` and the sync pages show the journal's state."""

from __future__ import annotations

import io
import json
from html import unescape

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from comptoir import __version__
from comptoir.journal.verify import journal_verify
from comptoir.sales.models import Invoice
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell
from comptoir.stores.models import Till
from tests.dashboard.conftest import client_as  # noqa: F401 - fixture
from tests.factories import make_article
from tests.journal.conftest import raw, triggers_dropped
from tests.pos.conftest import catalogue, cashier, cashier_client, node_role  # noqa: F401

pytestmark = pytest.mark.django_db


def test_receipts_print_the_signature_extract_and_the_version(
    cashier_client: Client, catalogue: None
) -> None:
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], cashier="alice")
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)])
    for name, record in (("pos:receipt", invoice), ("pos:credit_note_receipt", note)):
        html = unescape(cashier_client.get(reverse(name, args=[record.number])).content.decode())
        assert record.signature_extract and len(record.signature_extract) == 8
        assert f"Signature {record.signature_extract} · journal n° {record.chain_sequence}" in html
        assert f"comptoir {__version__}" in html


def test_status_and_the_sync_page_show_the_journal(till: Till, client_as: object) -> None:
    make_article("PAIN", "1.20")
    invoice_sell(lines=[SaleLine("PAIN", 1)])
    second = invoice_sell(lines=[SaleLine("PAIN", 2)])
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "Journal fiscal : pas encore vérifié" in out.getvalue()
    journal_verify()
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "Journal fiscal : intègre" in out.getvalue()

    with triggers_dropped("sales_invoice"):
        raw(
            "UPDATE sales_invoice SET total_incl_tax = 1 WHERE number = %s",
            second.number,
        )
    journal_verify()
    out = io.StringIO()
    call_command("status", "--json", stdout=out)
    state = json.loads(out.getvalue())["journal"]
    assert state["status"] == "broken"
    assert state["problems"][0]["number"] == second.number
    assert state["problems"][0]["reason"] == "altered"
    html = client_as("manager").get(reverse("sync:index")).content.decode()  # type: ignore[operator]
    assert 'id="journal-state" data-status="broken"' in html
    assert second.number in html
    assert Invoice.objects.count() == 2
