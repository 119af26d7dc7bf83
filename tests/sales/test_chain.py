"""Validated documents are chained per till: any alteration breaks the chain."""

import itertools
from datetime import timedelta

import pytest

from comptoir.lib.chain import chain_hash
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from tests.factories import at, make_article


def invoice_values(invoice: Invoice) -> dict:
    """The business values an invoice was hashed on, rebuilt from what is stored."""
    return {
        "kind": "invoice",
        "number": invoice.number,
        "validated_at": invoice.validated_at.isoformat(),
        "store": invoice.store.name,
        "currency": invoice.currency,
        "total_excl_tax": invoice.total_excl_tax,
        "total_tax": invoice.total_tax,
        "total_incl_tax": invoice.total_incl_tax,
        "lines": [
            [
                ln.article_code,
                str(ln.quantity),
                ln.unit_price,
                str(ln.discount_rate),
                ln.total_incl_tax,
            ]
            for ln in invoice.lines.order_by("position")
        ],
        "taxes": [
            [str(t.vat_rate), t.base_excl_tax, t.tax] for t in invoice.taxes.order_by("vat_rate")
        ],
        "payments": [[p.method, p.amount] for p in invoice.payments.order_by("position")],
    }


def credit_note_values(note: CreditNote) -> dict:
    return {
        "kind": "credit_note",
        "number": note.number,
        "invoice": note.invoice.number,
        "issued_at": note.issued_at.isoformat(),
        "store": note.store.name,
        "total_incl_tax": note.total_incl_tax,
        "lines": [
            [ln.invoice_line.article_code, str(ln.quantity), ln.total_incl_tax]
            for ln in note.lines.order_by("position")
        ],
        "taxes": [
            [str(t.vat_rate), t.base_excl_tax, t.tax] for t in note.taxes.order_by("vat_rate")
        ],
    }


def till_documents(till):
    """A till's invoices and credit notes in chain order (as stored, freshly read)."""
    docs = [(i.validated_at, 0, i.sequence, i) for i in Invoice.objects.filter(till=till)]
    docs += [(n.issued_at, 1, n.sequence, n) for n in CreditNote.objects.filter(till=till)]
    return [d[-1] for d in sorted(docs, key=lambda d: d[:3])]


@pytest.fixture
def history(till, till2):
    make_article("A", "2.35", vat="20")
    make_article("B", "0.99", vat="5.5", unit="kg")
    start = at(2, 9)
    step = timedelta(minutes=7)
    first = invoice_sell(lines=[SaleLine("A", 2), SaleLine("B", "1.234")], at=start, cashier="a")
    invoice_sell(lines=[SaleLine("A", 1)], till=till2, at=start + step)
    credit_note_issue(invoice_number=first.number, lines=[ReturnLine("A", 1)], at=start + 2 * step)
    second = invoice_sell(
        lines=[SaleLine("B", "0.5", discount_rate="5")],
        payments=[PaymentInput("card", "0.20"), PaymentInput("cash", "1")],
        at=start + 3 * step,
    )
    credit_note_issue(invoice_number=first.number, at=start + 4 * step)
    credit_note_issue(
        invoice_number=second.number, till=till2, refund_method="card", at=start + 5 * step
    )
    invoice_sell(lines=[SaleLine("A", 3)], at=start + 6 * step)


def test_each_document_points_to_the_previous_one_of_its_till(till, till2, history):
    for current in (till, till2):
        docs = till_documents(current)
        assert docs[0].previous_hash == ""
        for previous, doc in itertools.pairwise(docs):
            assert doc.previous_hash == previous.chain_hash
    kinds = [type(d).__name__ for d in till_documents(till)]
    assert kinds == ["Invoice", "CreditNote", "Invoice", "CreditNote", "Invoice"]
    hashes = [d.chain_hash for t in (till, till2) for d in till_documents(t)]
    assert len(hashes) == len(set(hashes)) == 7
    assert all(len(h) == 64 for h in hashes)


def test_the_chain_recomputes_from_the_stored_business_values(till, till2, history):
    for current in (till, till2):
        previous = ""
        for doc in till_documents(current):
            values = invoice_values(doc) if isinstance(doc, Invoice) else credit_note_values(doc)
            assert chain_hash(previous, values) == doc.chain_hash, doc.number
            previous = doc.chain_hash


def test_an_altered_value_no_longer_matches_the_chain(till, history):
    doc = till_documents(till)[0]
    values = invoice_values(doc)
    assert chain_hash(doc.previous_hash, values) == doc.chain_hash
    values["total_incl_tax"] += 1
    assert chain_hash(doc.previous_hash, values) != doc.chain_hash
