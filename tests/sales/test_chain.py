"""Validated documents are chained per till: any alteration breaks the chain. (The whole
journal, and documents of chain version 1, are tested in ``tests/journal``.)"""

import itertools
from datetime import timedelta

import pytest

from comptoir.fiscal.canonical import record_hash
from comptoir.journal.kinds import kind_get
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from tests.factories import at, make_article


def values_of(doc: Invoice | CreditNote) -> dict:
    """The business values a document was hashed on (version 2), rebuilt from what is
    stored, by the fiscal journal's registry of kinds."""
    return kind_get("invoice" if isinstance(doc, Invoice) else "credit_note").values(doc)


def hash_of(doc: Invoice | CreditNote, values: dict, previous: str) -> str:
    kind = "invoice" if isinstance(doc, Invoice) else "credit_note"
    return record_hash(2, kind, values, previous)


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
            assert doc.chain_version == 2
            assert hash_of(doc, values_of(doc), previous) == doc.chain_hash, doc.number
            previous = doc.chain_hash


def test_an_altered_value_no_longer_matches_the_chain(till, history):
    doc = till_documents(till)[0]
    values = values_of(doc)
    assert hash_of(doc, values, doc.previous_hash) == doc.chain_hash
    values["total_incl_vat"] += 1
    assert hash_of(doc, values, doc.previous_hash) != doc.chain_hash
    values = values_of(doc)
    values["lines"][0]["vat_rate"] = 0  # each line's VAT rate is hashed too
    assert hash_of(doc, values, doc.previous_hash) != doc.chain_hash
