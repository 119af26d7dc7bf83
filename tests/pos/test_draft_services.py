"""The basket services the till screen added: edit a line, set the customer, abandon."""

from __future__ import annotations

from decimal import Decimal

import pytest

from comptoir.customers.services import customer_create
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.sales.models import InvoiceDraft, InvoiceDraftLine
from comptoir.sales.services import (
    SaleLine,
    invoice_draft_abandon,
    invoice_draft_add_line,
    invoice_draft_create,
    invoice_draft_set_customer,
    invoice_draft_update_line,
)

pytestmark = pytest.mark.django_db


def test_a_line_quantity_and_discount_are_updated_and_checked(till, catalogue):
    draft = invoice_draft_create(till=till)
    invoice_draft_add_line(draft=draft, line=SaleLine("FROM", "0,5"))
    line = invoice_draft_update_line(draft=draft, position=1, quantity="0,250", discount_rate="5")
    assert (line.quantity, line.discount_rate) == (Decimal("0.250"), Decimal("5.00"))
    line = invoice_draft_update_line(draft=draft, position=1, discount_rate="0")
    assert (line.quantity, line.discount_rate) == (Decimal("0.250"), Decimal(0))
    with pytest.raises(ValidationError):
        invoice_draft_update_line(draft=draft, position=1, quantity="0")
    with pytest.raises(ValidationError):
        invoice_draft_update_line(draft=draft, position=1, quantity="2", discount_rate="101")
    with pytest.raises(NotFoundError):
        invoice_draft_update_line(draft=draft, position=9, quantity="1")
    stored = InvoiceDraftLine.objects.get(draft=draft)
    assert (stored.quantity, stored.discount_rate) == (Decimal("0.250"), Decimal(0))


def test_the_customer_is_set_and_removed(till):
    customer = customer_create(name="Mme Martin", code="MARTIN")
    draft = invoice_draft_create(till=till)
    invoice_draft_set_customer(draft=draft, customer="MARTIN")
    assert InvoiceDraft.objects.get(pk=draft.pk).customer == customer
    invoice_draft_set_customer(draft=draft, customer=None)
    assert InvoiceDraft.objects.get(pk=draft.pk).customer is None
    with pytest.raises(NotFoundError):
        invoice_draft_set_customer(draft=draft, customer="NOPE")


def test_an_abandoned_draft_is_gone_with_its_lines(till, catalogue):
    draft = invoice_draft_create(till=till)
    invoice_draft_add_line(draft=draft, line=SaleLine("PAIN", 2))
    invoice_draft_abandon(draft=draft)
    invoice_draft_abandon(draft=draft)  # twice: nothing left to drop, no error
    assert not InvoiceDraft.objects.exists()
    assert not InvoiceDraftLine.objects.exists()
