from datetime import UTC, datetime

import pytest

from comptoir.lib.errors import ComptoirError
from comptoir.sales.models import Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stores.models import SeriesCounter
from tests.factories import at, make_article


@pytest.fixture
def article(till):
    return make_article("A", "2.00")


def sell(**kwargs):
    return invoice_sell(lines=[SaleLine("A", 1)], **kwargs)


def test_invoice_numbers_follow_the_till_series_without_gaps(till, article):
    numbers = [sell(at=at(day)).number for day in range(1, 6)]
    assert numbers == [f"C1-2026-{n:06d}" for n in range(1, 6)]
    assert list(Invoice.objects.order_by("sequence").values_list("sequence", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_credit_notes_have_their_own_series(till, article):
    first = sell(at=at(1))
    second = sell(at=at(2))
    notes = [
        credit_note_issue(invoice_number=first.number, at=at(3)).number,
        credit_note_issue(invoice_number=second.number, at=at(4)).number,
    ]
    third = sell(at=at(5))
    assert notes == ["C1-AV-2026-000001", "C1-AV-2026-000002"]
    assert third.number == "C1-2026-000003"


def test_a_new_year_restarts_each_series_at_one(till, article):
    old = sell(at=datetime(2025, 12, 31, 18, 0, tzinfo=UTC))
    credit_note_issue(invoice_number=old.number, at=datetime(2025, 12, 31, 19, 0, tzinfo=UTC))
    # 23:30 UTC on 31 December is already 2026 in Paris, the shop's time zone.
    new = sell(at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    note = credit_note_issue(invoice_number=new.number, at=at(2, month=1))
    later = sell(at=at(3, month=1))
    assert old.number == "C1-2025-000001"
    assert (new.number, new.year, new.sequence) == ("C1-2026-000001", 2026, 1)
    assert note.number == "C1-AV-2026-000001"
    assert later.number == "C1-2026-000002"


def test_a_refused_payment_consumes_no_number(till, article):
    sell()
    with pytest.raises(ComptoirError, match="Paiement insuffisant"):
        sell(payments=[PaymentInput("cash", "1.99")])
    assert sell().number.endswith("-000002")


def test_a_validation_rolled_back_after_numbering_consumes_no_number(till, article, monkeypatch):
    sell()

    def broken(items):
        raise ComptoirError("panne simulée après la numérotation")

    with monkeypatch.context() as patch:
        patch.setattr("comptoir.sales.services.invoices.invoices_derive", broken)
        with pytest.raises(ComptoirError, match="panne simulée"):
            sell()
    counter = SeriesCounter.objects.get(till=till, kind="invoice", year=2026)
    assert counter.last_number == 1
    assert sell().number.endswith("-000002")


def test_two_tills_keep_independent_series(till, till2, article):
    numbers = [
        sell(till=till).number,
        sell(till=till2).number,
        sell(till=till2).number,
        sell(till=till).number,
    ]
    year = numbers[0].split("-")[1]
    assert numbers == [
        f"C1-{year}-000001",
        f"C2-{year}-000001",
        f"C2-{year}-000002",
        f"C1-{year}-000002",
    ]


def test_a_credit_note_is_numbered_in_the_series_of_the_till_that_issues_it(till, till2, article):
    invoice = sell(till=till, at=at(1))
    note = credit_note_issue(
        invoice_number=invoice.number, lines=[ReturnLine("A", 1)], till=till2, at=at(2)
    )
    assert note.number == "C2-AV-2026-000001"
    assert note.till == till2
