"""Concurrent validations on a real PostgreSQL: numbers stay continuous, derived data exact."""

import itertools
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from comptoir.lib.errors import ComptoirError
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stats.models import DailyRevenue, SalesStat
from comptoir.stats.services import stats_rebuild
from comptoir.stock.selectors import stock_level
from comptoir.stock.services import stock_rebuild, stock_receive
from comptoir.stores.models import Till
from comptoir.stores.services import till_create
from tests.factories import make_article, stats_snapshot, stock_snapshot

THREADS = 8
SALES_PER_THREAD = 10

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def run_in_threads(work: Callable[[int], None], threads: int = THREADS) -> None:
    """Run ``work(i)`` in parallel threads started together; re-raise their first error."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=target, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a validation never finished"
    if errors:
        raise errors[0]


def assert_chain_continuous(till: Till) -> None:
    invoices = list(Invoice.objects.filter(till=till).order_by("sequence"))
    for previous, invoice in itertools.pairwise(invoices):
        assert invoice.previous_hash == previous.chain_hash


def assert_derived_data_rebuilds_identically() -> None:
    stock, stats = stock_snapshot(), stats_snapshot()
    stock_rebuild()
    stats_rebuild()
    assert stock_snapshot() == stock
    assert stats_snapshot() == stats


def test_concurrent_validations_on_one_till_number_without_gaps_or_duplicates(till):
    a = make_article("A", "2.50")
    b = make_article("B", "1.25", vat="5.5", unit="kg")
    stock_receive(article="A", quantity=1000)
    stock_receive(article="B", quantity=1000)

    def work(i: int) -> None:
        for _ in range(SALES_PER_THREAD):
            invoice_sell(lines=[SaleLine("A", 1), SaleLine("B", "0.5")], till=till, cashier=f"c{i}")

    run_in_threads(work)

    total = THREADS * SALES_PER_THREAD
    sequences = list(Invoice.objects.filter(till=till).values_list("sequence", flat=True))
    assert sorted(sequences) == list(range(1, total + 1))
    numbers = set(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) == total
    assert_chain_continuous(till)
    assert stock_level(article_id=a.pk, store_id=till.store_id) == 1000 - total
    assert stock_level(article_id=b.pk, store_id=till.store_id) == Decimal(1000) - total * Decimal(
        "0.5"
    )
    invoice_total = sum(Invoice.objects.values_list("total_incl_tax", flat=True))
    assert invoice_total == total * (250 + 63)  # 0.5 kg × 1.25 = 0.625 → 0.63
    revenue = DailyRevenue.objects.get()
    assert (revenue.invoice_count, revenue.total_incl_tax) == (total, invoice_total)
    assert SalesStat.objects.count() == 2 * THREADS  # per article and cashier
    assert_derived_data_rebuilds_identically()


def test_two_tills_validating_in_parallel_keep_independent_series(till):
    till2 = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="node-2")
    a = make_article("A", "2.50")
    b = make_article("B", "4.00", vat="5.5")
    stock_receive(article="A", quantity=10)
    tills = [till, till2]

    def work(i: int) -> None:
        # Different baskets and payment orders on each side: locks must still queue
        # in one order, never deadlock.
        lines = (
            [SaleLine("A", 1), SaleLine("B", 1)] if i % 2 else [SaleLine("B", 2), SaleLine("A", 1)]
        )
        payments = (
            [PaymentInput("card", "1"), PaymentInput("cash", "20")]
            if i % 2
            else [PaymentInput("cash", "20"), PaymentInput("card", "1")]
        )
        for _ in range(SALES_PER_THREAD):
            invoice_sell(lines=lines, payments=payments, till=tills[i % 2])

    run_in_threads(work)

    per_till = THREADS // 2 * SALES_PER_THREAD
    for current in tills:
        sequences = Invoice.objects.filter(till=current).values_list("sequence", flat=True)
        assert sorted(sequences) == list(range(1, per_till + 1))
        numbers = Invoice.objects.filter(till=current).values_list("number", flat=True)
        assert all(n.startswith(f"{current.prefix}-") for n in numbers)
        assert_chain_continuous(current)
    assert stock_level(article_id=a.pk, store_id=till.store_id) == 10 - 2 * per_till
    assert stock_level(article_id=b.pk, store_id=till.store_id) == -3 * per_till
    assert_derived_data_rebuilds_identically()


def test_concurrent_returns_of_one_invoice_never_refund_more_than_was_sold(till):
    a = make_article("A", "3.33")
    invoice = invoice_sell(lines=[SaleLine("A", 5)], till=till)
    refused: list[str] = []

    def work(i: int) -> None:
        try:
            credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)], till=till)
        except ComptoirError as exc:
            refused.append(exc.message)

    run_in_threads(work)

    notes = CreditNote.objects.filter(invoice=invoice)
    assert notes.count() == 5
    assert len(refused) == THREADS - 5
    assert all("dépasse la quantité vendue" in message for message in refused)
    assert sum(n.total_incl_tax for n in notes) == invoice.total_incl_tax
    assert sorted(n.sequence for n in notes) == [1, 2, 3, 4, 5]
    assert stock_level(article_id=a.pk, store_id=till.store_id) == 0
    assert_derived_data_rebuilds_identically()
