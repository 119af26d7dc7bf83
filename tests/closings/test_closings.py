"""Fiscal closings (issue 15): made lazily per till and period, equal to a recomputation
from the documents, perpetual totals carried. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from comptoir.closings.figures import fiscal_year_of, month_of
from comptoir.closings.journal_setup import closing_values
from comptoir.closings.models import Closing
from comptoir.closings.services import closings_close, closings_close_due
from comptoir.closings.worker import ClosingsWorker
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.fiscal.canonical import normalize
from comptoir.journal.models import ChainCheck
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stats.models import DailyRevenue
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, store_update, till_create
from comptoir.syncengine.worker import SyncWorker
from tests.factories import PARIS, at, make_article


@pytest.fixture
def articles(db: None) -> None:
    make_article("PAIN", "1.20", vat="5.5")
    make_article("VIN", "8.40", vat="20")
    make_article("LIVRE", "12.00", vat="5.5")
    make_article("JOUET", "9.99", vat="20")


def days_of(till: Till) -> dict[date, Closing]:
    return {c.period_start: c for c in Closing.objects.filter(till=till, kind="day")}


def recomputed(till: Till, start: date, end: date) -> dict[str, Any]:
    """A period's values added up in Python from the documents, row by row (nothing shared
    with the closings' queries)."""
    invoices = [i for i in Invoice.objects.filter(till=till) if start <= i.business_date <= end]
    notes = [n for n in CreditNote.objects.filter(till=till) if start <= n.business_date <= end]
    rates: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {"sales": [0, 0, 0], "returns": [0, 0, 0]}
    )
    payments: dict[str, int] = defaultdict(int)
    refunds: dict[str, int] = defaultdict(int)
    for side, docs in (("sales", invoices), ("returns", notes)):
        for doc in docs:
            for tax in doc.taxes.all():
                row = rates[str(tax.vat_rate)][side]
                row[0] += tax.base_excl_tax
                row[1] += tax.tax
                row[2] += tax.total_incl_tax
    for invoice in invoices:
        for payment in invoice.payments.all():
            payments[payment.method] += payment.amount
        payments["cash"] -= invoice.change_given
    for note in notes:
        refunds[note.refund_method] += note.total_incl_tax

    def numbers(docs: list[Any]) -> tuple[str, str]:
        ordered = sorted(docs, key=lambda d: (d.year, d.sequence))
        return (ordered[0].number, ordered[-1].number) if ordered else ("", "")

    sales = sum(i.total_incl_tax for i in invoices)
    returns = sum(n.total_incl_tax for n in notes)
    return {
        "invoices": (len(invoices), *numbers(invoices)),
        "credit_notes": (len(notes), *numbers(notes)),
        "sales_incl_vat": sales,
        "returns_incl_vat": returns,
        "total_incl_vat": sales - returns,
        "total_vat": sum(i.total_tax for i in invoices) - sum(n.total_tax for n in notes),
        "by_rate": {
            rate: {
                k: dict(zip(("excl_vat", "vat", "incl_vat"), v, strict=True)) for k, v in r.items()
            }
            for rate, r in rates.items()
        },
        "payments": {m: a for m, a in payments.items() if a},
        "refunds": {m: a for m, a in refunds.items() if a},
    }


def kept(closing: Closing) -> dict[str, Any]:
    return {
        "invoices": (closing.invoice_count, closing.invoice_first, closing.invoice_last),
        "credit_notes": (
            closing.credit_note_count,
            closing.credit_note_first,
            closing.credit_note_last,
        ),
        "sales_incl_vat": closing.sales_incl_vat,
        "returns_incl_vat": closing.returns_incl_vat,
        "total_incl_vat": closing.total_incl_vat,
        "total_vat": closing.total_vat,
        "by_rate": {r["rate"]: {k: r[k] for k in ("sales", "returns")} for r in closing.by_rate},
        "payments": closing.payments,
        "refunds": closing.refunds,
    }


def trading(till: Till) -> None:
    """Ten days of March 2026 with gaps, two VAT rates, card, cash with change, returns;
    then a sale on 3 April that closes every day before it."""
    pay = [PaymentInput("card", "5"), PaymentInput("cash", "20")]
    for day in (2, 3, 3, 5, 9, 10):
        invoice = invoice_sell(
            lines=[SaleLine("PAIN", 3), SaleLine("VIN", 1)], payments=pay, at=at(day, 11)
        )
        invoice_sell(lines=[SaleLine("LIVRE", 1)], at=at(day, 15))
        if day in (3, 10):
            credit_note_issue(
                invoice_number=invoice.number,
                lines=[ReturnLine("VIN", 1)],
                refund_method="card",
                at=at(day, 17),
            )
    # A return on a day without sales, of an earlier day's invoice.
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)], at=at(12))
    invoice_sell(lines=[SaleLine("JOUET", 1)], at=at(3, 9, month=4))


def test_each_day_equals_a_recomputation_from_the_documents(articles, till):
    trading(till)
    closed = days_of(till)
    assert sorted(closed) == [date(2026, 3, d) for d in range(2, 32)] + [
        date(2026, 4, 1),
        date(2026, 4, 2),
    ]
    for day, closing in closed.items():
        assert kept(closing) == recomputed(till, day, day), day
    assert closed[date(2026, 3, 3)].invoice_count == 4
    assert closed[date(2026, 3, 3)].credit_note_count == 2
    assert closed[date(2026, 3, 12)].returns_incl_vat == 120  # a return alone on its day
    assert closed[date(2026, 3, 12)].total_incl_vat == -120


def test_a_month_is_the_sum_of_its_days_and_equals_its_documents(articles, till):
    trading(till)
    (march,) = Closing.objects.filter(till=till, kind="month")
    assert (march.period_start, march.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert kept(march) == recomputed(till, date(2026, 3, 1), date(2026, 3, 31))
    days = [c for d, c in days_of(till).items() if d.month == 3]
    assert march.total_incl_vat == sum(c.total_incl_vat for c in days)
    assert march.perpetual_total == days_of(till)[date(2026, 3, 31)].perpetual_total
    assert march.invoice_first == "C1-2026-000001"
    assert march.invoice_last == "C1-2026-000012"


def test_perpetual_totals_carry_over_every_day_and_month(articles, till):
    trading(till)
    previous_total = previous_absolute = 0
    for day, closing in sorted(days_of(till).items()):
        sales, returns = closing.sales_incl_vat, closing.returns_incl_vat
        # Grand total: previous + sales − |returns|; absolute: previous + sales + |returns|.
        assert closing.perpetual_total == previous_total + sales - returns, day
        assert closing.perpetual_absolute_total == previous_absolute + sales + returns, day
        assert closing.perpetual_absolute_total >= previous_absolute
        previous_total, previous_absolute = (
            closing.perpetual_total,
            closing.perpetual_absolute_total,
        )
    everything = recomputed(till, date(2026, 1, 1), date(2026, 4, 2))
    assert previous_total == everything["total_incl_vat"]
    assert previous_absolute == everything["sales_incl_vat"] + everything["returns_incl_vat"]
    # A day without documents carries the totals unchanged, with zero totals.
    quiet = days_of(till)[date(2026, 3, 20)]
    assert (quiet.invoice_count, quiet.total_incl_vat, quiet.payments) == (0, 0, {})
    assert quiet.perpetual_total == days_of(till)[date(2026, 3, 19)].perpetual_total


def test_a_fiscal_year_closes_from_its_months_with_the_store_s_first_month(articles, till):
    store_update(pk=till.store.pk, fiscal_year_start=4)
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(30, month=3, year=2026))
    invoice_sell(lines=[SaleLine("VIN", 2)], at=at(15, month=9, year=2026))
    invoice_sell(lines=[SaleLine("LIVRE", 1)], at=at(2, month=4, year=2027))
    first, year = Closing.objects.filter(till=till, kind="year").order_by("period_start")
    # The till's first fiscal year holds only its March: it closes all the same.
    assert (first.period_start, first.period_end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert first.total_incl_vat == first.perpetual_total == 120
    assert (year.period_start, year.period_end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert year.key == "year:2026-04"
    assert kept(year) == recomputed(till, date(2026, 4, 1), date(2027, 3, 31))
    months = Closing.objects.filter(till=till, kind="month").order_by("period_start")
    assert [m.period_start.month for m in months] == [3, *range(4, 13), 1, 2, 3]
    assert year.perpetual_total == 120 + 1680
    assert year.perpetual_absolute_total == 120 + 1680
    assert fiscal_year_of(date(2026, 3, 30), 4) == (date(2025, 4, 1), date(2026, 3, 31))


def test_a_till_off_for_a_week_closes_every_day_when_it_starts(articles, till):
    invoice_sell(lines=[SaleLine("PAIN", 2)], at=at(1, 19))
    assert not Closing.objects.exists()
    # Off from the 1st in the evening to the 9th: ``comptoir serve`` starts that morning.
    made = closings_close_due(at=at(9, 8))
    assert [c.period_start for c in made] == [date(2026, 3, d) for d in range(1, 9)]
    assert [c.perpetual_total for c in made] == [240] * 8
    assert [c.total_incl_vat for c in made] == [240] + [0] * 7
    assert closings_close_due(at=at(9, 9)) == []  # made once


def test_the_first_sale_after_midnight_closes_the_day_before(articles, till):
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 23, 50))
    assert not Closing.objects.exists()  # still the 3rd
    invoice_sell(lines=[SaleLine("VIN", 1)], at=at(4, 0, 5))
    (day,) = Closing.objects.all()
    assert (day.period_start, day.invoice_count, day.total_incl_vat) == (date(2026, 3, 3), 1, 120)
    # A credit note is an action too.
    credit_note_issue(invoice_number="C1-2026-000002", lines=[ReturnLine("VIN", 1)], at=at(5, 0, 1))
    assert days_of(till)[date(2026, 3, 4)].total_incl_vat == 840


def test_a_day_known_closed_costs_the_next_sales_nothing_and_a_rollback_forgets_it(
    articles, till, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from comptoir.closings.services import _closed_before, closings_close_before_document

    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 12))

    # The next day's first action closes the 3rd, in a transaction that rolls back: the
    # process must not believe the 3rd closed.
    def failed_sale() -> None:
        with transaction.atomic():
            closings_close_before_document(till, date(2026, 3, 4))
            raise RuntimeError("the sale failed")

    with pytest.raises(RuntimeError):
        failed_sale()
    assert _closed_before.get(till.pk) is None
    assert not Closing.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        invoice_sell(lines=[SaleLine("VIN", 1)], at=at(4, 9))
    assert _closed_before[till.pk] == date(2026, 3, 4)
    assert [c.period_start for c in Closing.objects.all()] == [date(2026, 3, 3)]
    with django_assert_max_num_queries(0):
        closings_close_before_document(till, date(2026, 3, 4))


def test_the_worker_s_cycle_closes_what_is_due(articles, till):
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 12))
    worker = SyncWorker(
        client_factory=lambda: None,  # type: ignore[arg-type,return-value]
        on_cycle=lambda: closings_close_due(at=at(6, 0, 1)),
    )
    worker._cycle()
    assert sorted(days_of(till)) == [date(2026, 3, d) for d in (3, 4, 5)]


def test_a_failing_cycle_task_does_not_stop_the_worker(caplog):
    def broken() -> None:
        raise RuntimeError("boom")

    worker = SyncWorker(client_factory=lambda: None, on_cycle=broken)  # type: ignore[arg-type,return-value]
    with caplog.at_level(logging.ERROR):
        worker._cycle()
    assert "tâche périodique" in caplog.text


def test_a_post_closes_only_its_own_tills(articles, till):
    other = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="autre-poste")
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 12))
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=other, at=at(3, 12))
    closings_close_due(at=at(5))
    assert Closing.objects.filter(till=till).count() == 2
    assert not Closing.objects.filter(till=other).exists()


@pytest.mark.parametrize(
    ("month", "day"),
    [(3, 29), (10, 25)],  # Europe/Paris: 23 hours on the last Sunday of March, 25 in October
)
def test_a_dst_day_holds_every_document_of_its_local_day(articles, till, month, day):
    assert settings.TIME_ZONE == "Europe/Paris"
    start = datetime(2026, month, day, 0, 30, tzinfo=PARIS)
    end = datetime(2026, month, day, 23, 30, tzinfo=PARIS)
    # The day is 23 or 25 hours long: 22 or 24 hours between these two instants.
    assert end.astimezone(UTC) - start.astimezone(UTC) != timedelta(hours=23)
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=start - timedelta(hours=1))  # the day before
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=start)
    if month == 10:  # 02:30 comes twice: both times in the day
        invoice_sell(lines=[SaleLine("PAIN", 1)], at=datetime(2026, 10, 25, 2, 30, tzinfo=PARIS))
        invoice_sell(
            lines=[SaleLine("PAIN", 1)], at=datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)
        )
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=end)
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=end + timedelta(hours=1))  # the day after
    closed = days_of(till)
    the_day = closed[date(2026, month, day)]
    assert the_day.invoice_count == (4 if month == 10 else 2)
    assert closed[date(2026, month, day - 1)].invoice_count == 1
    assert kept(the_day) == recomputed(till, the_day.period_start, the_day.period_end)


def test_xof_closings_have_no_minor_unit(db, settings):
    settings.COMPTOIR_CURRENCY = "XOF"
    store = store_get_or_create(name="Boutique de Dakar", currency="XOF")
    till = till_create(
        store=store, name="Caisse Dakar", prefix="D1", node_id=settings.COMPTOIR_NODE_ID
    )
    make_article("RIZ", "1500", vat="18")
    make_article("SAVON", "350", vat="0")
    invoice_sell(lines=[SaleLine("RIZ", 3), SaleLine("SAVON", 2)], at=at(2))
    closings_close(till=till, until=date(2026, 3, 3))
    (day,) = Closing.objects.all()
    assert (day.currency, day.total_incl_vat) == ("XOF", 5200)
    assert [r["rate"] for r in day.by_rate] == ["0.00", "18.00"]
    assert kept(day) == recomputed(till, date(2026, 3, 2), date(2026, 3, 2))


def test_closings_agree_with_the_statistics_tables(articles, till):
    """A cross-check only: the closings are computed from the documents, not from these."""
    trading(till)
    for day, closing in days_of(till).items():
        stat = DailyRevenue.objects.filter(till=till, day=day).first()
        if stat is None:
            assert closing.invoice_count == closing.credit_note_count == 0
            continue
        assert closing.invoice_count == stat.invoice_count
        assert closing.credit_note_count == stat.credit_note_count
        assert closing.sales_incl_vat == stat.total_incl_tax
        assert closing.returns_incl_vat == stat.returns_incl_tax
        assert closing.sales_excl_vat == stat.total_excl_tax


def test_a_document_made_in_a_closed_day_by_the_clock_belongs_to_the_first_open_day(
    articles, till, caplog
):
    # Before, such a document fell in the closed 30th: the month then never matched its
    # documents and stayed open. Now it belongs to the 31st, and the month closes whole.
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(30))
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(31))  # closes the 30th
    late = invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(30, 12))  # a clock set back
    assert late.business_date == date(2026, 3, 31)
    with caplog.at_level(logging.ERROR):
        invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(1, month=4))
    assert Invoice.objects.count() == 4
    assert days_of(till)[date(2026, 3, 31)].invoice_count == 2
    assert Closing.objects.get(kind="month").invoice_count == 3
    assert "ne correspond pas aux documents" not in caplog.text


def test_a_closing_is_made_once_per_till_kind_and_period(articles, till):
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3))
    made = closings_close(till=till, until=date(2026, 3, 4))
    assert len(made) == 1
    assert closings_close(till=till, until=date(2026, 3, 4)) == []
    copy = Closing(
        **{
            f.attname: getattr(made[0], f.attname)
            for f in Closing._meta.concrete_fields
            if not f.primary_key
        }
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Closing.objects.bulk_create([copy])


def test_a_closing_is_immutable(articles, till):
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3))
    (closing,) = closings_close(till=till, until=date(2026, 3, 4))
    closing.total_incl_vat = 0
    with pytest.raises(Exception, match="ne se modifie pas"):
        closing.save()
    table = connection.ops.quote_name(Closing._meta.db_table)
    with pytest.raises(DatabaseError), transaction.atomic():
        connection.cursor().execute(f"UPDATE {table} SET total_incl_vat = 0")
    assert Closing.objects.get().total_incl_vat == 120


def test_a_closing_s_business_values_are_in_one_place(articles, till):
    invoice_sell(lines=[SaleLine("PAIN", 2)], payments=[PaymentInput("cash", "5")], at=at(3))
    (closing,) = closings_close(till=till, until=date(2026, 3, 4), at=at(4, 0, 1))
    values = normalize("closing", closing_values(closing))
    assert values["period"] == "day"
    assert values["instant"] == "2026-03-03T23:01:00.000000Z"
    assert values["payments"] == [{"method": "cash", "amount": "2.40"}]
    assert values["perpetual_total"] == "2.40"
    assert (values["post_prefix"], values["store_name"]) == ("C1", "Magasin principal")
    assert month_of(date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 2, 28))


def test_journal_verify_runs_once_after_the_closings_made_together_on_this_post_only(
    articles, till, django_capture_on_commit_callbacks
):
    other = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="autre-poste")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=other, at=at(3, 12))
    invoice_sell(lines=[SaleLine("PAIN", 2)], at=at(1, 19))
    verified = TechnicalEvent.objects.filter(kind=EventKind.JOURNAL_VERIFIED)
    # Off for a week: eight days closed together at start, one verification.
    with django_capture_on_commit_callbacks(execute=True):
        assert len(closings_close_due(at=at(9, 8))) == 8
    [event] = verified.all()
    assert event.till == till
    assert event.details_data == {"outcome": "whole", "post": "C1", "cause": "closing"}
    assert set(ChainCheck.objects.values_list("till__prefix", flat=True)) == {"C1"}
    assert ChainCheck.objects.get(till=till, chain="close").count == 8
    # The first sale after midnight closes the 9th: verified again, after the sale.
    with django_capture_on_commit_callbacks(execute=True):
        invoice_sell(lines=[SaleLine("VIN", 1)], at=at(10, 9))
    assert verified.all().count() == 2
    assert ChainCheck.objects.get(till=till, chain="close").count == 9
    # A sale that closes nothing verifies nothing.
    with django_capture_on_commit_callbacks(execute=True):
        invoice_sell(lines=[SaleLine("VIN", 1)], at=at(10, 10))
    assert verified.all().count() == 2


def test_a_failed_verification_after_closings_is_logged_not_raised(
    articles, till, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    import comptoir.events.services as event_services

    def broken(prefix: str | None = None) -> list[Any]:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(event_services, "journal_verify", broken)
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 12))
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(4, 9))  # the sale is made
    assert Closing.objects.filter(till=till).count() == 1
    assert "vérification du journal fiscal impossible" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_post_left_running_past_midnight_closes_the_day_within_a_cycle(till):
    """A till with no hub (no sync worker): the closings' own worker, in its thread."""
    make_article("PAIN", "1.20", vat="5.5")
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 12))
    looks: list[datetime] = []
    second_look = threading.Event()

    def now() -> datetime:  # just past midnight; asked once per cycle
        looks.append(at(4, 0, 1))
        if len(looks) == 2:  # the first cycle is over
            second_look.set()
        return looks[-1]

    worker = ClosingsWorker(interval=0.05, now=now)
    worker.start()
    try:
        assert second_look.wait(10), "the worker never cycled"
    finally:
        worker.shutdown()
    assert not worker.thread.is_alive()
    assert [c.period_start for c in Closing.objects.filter(till=till)] == [date(2026, 3, 3)]
    assert TechnicalEvent.objects.filter(kind=EventKind.JOURNAL_VERIFIED, till=till).exists()


def test_a_cycle_on_a_day_already_closed_takes_no_lock(
    articles, till, django_assert_max_num_queries
):
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 12))
    assert len(closings_close_due(at=at(4, 0, 1))) == 1
    # The workers look every minute: on the hub a closing run takes the change-log lock.
    with django_assert_max_num_queries(1):  # the post's tills, nothing else
        assert closings_close_due(at=at(4, 9)) == []
    assert len(closings_close_due(at=at(5, 0, 1))) == 1  # the next day closes


def test_a_clock_set_back_after_a_closing_dates_documents_in_the_first_open_day(
    articles, till, django_capture_on_commit_callbacks
):
    # The till's clock ran an hour ahead: at 23:30 true time it sold "at 00:30", which
    # closed the 3rd. Set right again, its next sale and return say 23:40 on the 3rd: a
    # closed day never takes a document again; they belong to the 4th, their instant kept.
    from comptoir.closings import services as closings

    closings._closed_before.clear()
    closings._set_back_noted.clear()
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3, 12))
    with django_capture_on_commit_callbacks(execute=True):
        ahead = invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(4, 0, 30))
    closed = Closing.objects.get(kind="day", period_start=date(2026, 3, 3))
    for forget in (False, True):  # in this process, and in a new one (nothing remembered)
        if forget:
            closings._closed_before.clear()
            closings._set_back_noted.clear()
        with django_capture_on_commit_callbacks(execute=True):
            late = invoice_sell(lines=[SaleLine("VIN", 1)], at=at(3, 23, 40))
        assert (late.business_date, late.validated_at) == (date(2026, 3, 4), at(3, 23, 40))
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_issue(
            invoice_number=ahead.number, lines=[ReturnLine("PAIN", 1)], at=at(3, 23, 50)
        )
    assert note.business_date == date(2026, 3, 4)
    # The worker's cycle at that clock does not forget that the 3rd is closed.
    closings.closings_close_due(at=at(3, 23, 55))
    again = invoice_sell(lines=[SaleLine("VIN", 1)], at=at(3, 23, 58))
    assert again.business_date == date(2026, 3, 4)
    # The closed day is as it was, and equals its documents; the event log says it.
    closed.refresh_from_db()
    assert Closing.objects.get(pk=closed.pk).invoice_count == 1
    assert Invoice.objects.filter(business_date=date(2026, 3, 3)).count() == 1
    jumps = TechnicalEvent.objects.filter(kind=EventKind.CLOCK_JUMP)
    assert jumps.count() == 2  # once per process that saw it, not once per document
    assert jumps.first().details_data == {
        "cause": "closed_day",
        "clock_day": "2026-03-03",
        "day": "2026-03-04",
    }
