from decimal import Decimal

import pytest

from comptoir.lib.errors import ComptoirError, NotFoundError
from comptoir.sales.models import CreditNote, CreditNoteLine
from comptoir.sales.services import (
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stock.selectors import stock_level
from comptoir.stock.services import stock_receive
from tests.factories import at, db_state, make_article


@pytest.fixture
def invoice(till):
    make_article("A", "3.33", vat="20", cost="1.11")
    make_article("B", "1.20", vat="5.5", cost="0.50")
    make_article("C", "9.99", vat="20", cost="5.00")
    for code in ("A", "B", "C"):
        stock_receive(article=code, quantity=100, at=at(1))
    return invoice_sell(
        lines=[SaleLine("A", 3, discount_rate=10), SaleLine("B", 2), SaleLine("C", 1)],
        at=at(10),
    )


def line_sums(invoice):
    """Per invoice line: (incl, excl, tax, cost, quantity) returned by all credit notes."""
    sums = {}
    for line in invoice.lines.all():
        credits = CreditNoteLine.objects.filter(invoice_line=line)
        sums[line.article_code] = (
            sum(c.total_incl_tax for c in credits),
            sum(c.total_excl_tax for c in credits),
            sum(c.total_tax for c in credits),
            sum(c.total_cost for c in credits),
            sum((c.quantity for c in credits), Decimal(0)),
        )
    return sums


def line_values(invoice):
    return {
        ln.article_code: (
            ln.total_incl_tax,
            ln.total_excl_tax,
            ln.total_tax,
            ln.total_cost,
            ln.quantity,
        )
        for ln in invoice.lines.all()
    }


def test_a_full_credit_note_gives_back_the_whole_invoice(till, invoice):
    note = credit_note_issue(invoice_number=invoice.number, reason="erreur", at=at(11))
    assert note.number == "C1-AV-2026-000001"
    assert (note.total_incl_tax, note.total_excl_tax, note.total_tax, note.total_cost) == (
        invoice.total_incl_tax,
        invoice.total_excl_tax,
        invoice.total_tax,
        invoice.total_cost,
    )
    assert sorted(note.taxes.values_list("vat_rate", "base_excl_tax", "tax")) == sorted(
        invoice.taxes.values_list("vat_rate", "base_excl_tax", "tax")
    )
    assert line_sums(invoice) == line_values(invoice)
    for code in ("A", "B", "C"):
        article = invoice.lines.get(article_code=code).article
        assert stock_level(article_id=article.pk, store_id=till.store_id) == 100


def test_a_partial_credit_note_returns_a_prorated_share(till, invoice):
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)])
    line = note.lines.get()
    # A: 3 × 3.33 = 9.99 − 10 % (1.00) = 8.99 TTC, 7.49 HT; one third: 3.00 TTC, 2.50 HT
    assert (line.quantity, line.total_incl_tax, line.total_excl_tax) == (Decimal(1), 300, 250)
    assert note.total_incl_tax == 300
    assert note.total_excl_tax + note.total_tax == note.total_incl_tax
    assert stock_level(article_id=line.article_id, store_id=till.store_id) == 98


def test_partial_returns_add_up_exactly_to_the_line_totals(till, invoice):
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)])
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 2)])
    assert line_sums(invoice)["A"] == line_values(invoice)["A"]


def test_three_returns_of_one_piece_add_up_exactly_to_the_line_totals(till, invoice):
    notes = [
        credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)])
        for _ in range(3)
    ]
    # 8.99 / 3 = 2.9967: the first two round to 3.00, the last takes what is left.
    assert [n.total_incl_tax for n in notes] == [300, 300, 299]
    assert line_sums(invoice)["A"] == line_values(invoice)["A"]


def test_one_article_returned_twice_in_one_credit_note_is_refunded_exactly(till, invoice):
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)] * 3)
    assert note.total_incl_tax == 899
    assert note.lines.get().quantity == 3
    assert line_sums(invoice)["A"] == line_values(invoice)["A"]


def test_the_rest_of_a_partly_returned_invoice_is_returned_in_full(till, invoice):
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)])
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("B", 1)])
    last = credit_note_issue(invoice_number=invoice.number)
    assert sorted(last.lines.values_list("article__code", "quantity")) == [
        ("A", Decimal(2)),
        ("B", Decimal(1)),
        ("C", Decimal(1)),
    ]
    assert line_sums(invoice) == line_values(invoice)
    total = sum(n.total_incl_tax for n in CreditNote.objects.filter(invoice=invoice))
    assert total == invoice.total_incl_tax


@pytest.mark.parametrize(
    ("returns", "keyword"),
    [
        ([ReturnLine("A", 4)], "dépasse la quantité vendue"),
        ([ReturnLine("A", 2), ReturnLine("A", 2)], "dépasse la quantité vendue"),
        ([ReturnLine("C", 2)], "dépasse la quantité vendue"),
        ([ReturnLine("B", 1), ReturnLine("C", 5)], "dépasse la quantité vendue"),
        ([ReturnLine("A", 0)], "nulle"),
        ([ReturnLine("A", "0.5")], "entière"),
        ([ReturnLine("Z", 1)], "Article inconnu"),
    ],
)
def test_a_bad_return_is_refused_in_french_and_writes_nothing(till, invoice, returns, keyword):
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("B", 1)])
    before = db_state()
    with pytest.raises(ComptoirError, match=keyword):
        credit_note_issue(invoice_number=invoice.number, lines=returns)
    assert db_state() == before


def test_returning_more_than_what_is_left_after_earlier_returns_is_refused(till, invoice):
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 2)])
    before = db_state()
    with pytest.raises(ComptoirError, match="retours précédents compris"):
        credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 2)])
    assert db_state() == before


def test_an_article_not_on_the_invoice_cannot_be_returned(till, invoice):
    make_article("D")
    with pytest.raises(ComptoirError, match="ne figure pas"):
        credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("D", 1)])


def test_a_fully_refunded_invoice_cannot_be_refunded_again(till, invoice):
    credit_note_issue(invoice_number=invoice.number)
    before = db_state()
    with pytest.raises(ComptoirError, match="entièrement remboursée"):
        credit_note_issue(invoice_number=invoice.number)
    assert db_state() == before


def test_a_credit_note_for_an_unknown_invoice_is_refused(till, invoice):
    before = db_state()
    with pytest.raises(NotFoundError, match="Facture inconnue"):
        credit_note_issue(invoice_number="C1-2026-999999")
    assert db_state() == before


def test_an_unknown_refund_method_is_refused(till, invoice):
    with pytest.raises(ComptoirError, match="remboursement inconnu"):
        credit_note_issue(invoice_number=invoice.number, refund_method="troc")
    assert not CreditNote.objects.exists()


def test_a_weighed_article_is_returned_by_the_gram(till):
    make_article("FROM", "24.90", vat="5.5", unit="kg")
    invoice = invoice_sell(lines=[SaleLine("FROM", "0.750")])
    first = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("FROM", "0.250")])
    rest = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("FROM", "0.5")])
    # 0.750 × 24.90 = 18.675 → 18.68; a third: 6.2267 → 6.23; the rest: 12.45
    assert (first.total_incl_tax, rest.total_incl_tax) == (623, 1245)
    with pytest.raises(ComptoirError, match="dépasse"):
        credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("FROM", "0.001")])
