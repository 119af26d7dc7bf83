"""A training sale is not an invoice: it writes its own rows and nothing else.

Stock, statistics, closings, cash reports, the fiscal journal and the sync outbox all
read invoices: a training sale stays out of them by construction (``comptoir.training``).
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from comptoir.cash.selectors import report_x
from comptoir.cash.services import session_open
from comptoir.closings.journal_setup import closing_values
from comptoir.closings.models import Closing
from comptoir.closings.services import closings_close
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.journal.verify import journal_verify
from comptoir.lib.errors import NotFoundError
from comptoir.sales.models import Invoice, InvoiceDraft
from comptoir.sales.services import (
    PaymentInput,
    SaleLine,
    credit_note_issue,
    invoice_sell,
    invoice_validate,
)
from comptoir.stock.models import StockLevel
from comptoir.stores.models import SeriesCounter, Till
from comptoir.stores.services import till_create
from comptoir.training.errors import TrainingError
from comptoir.training.models import TrainingSale
from comptoir.training.services import training_sale_validate, training_set
from tests.factories import at

pytestmark = pytest.mark.django_db

CASH_20 = [PaymentInput("cash", "20")]


def world() -> dict[str, Any]:
    """Every row count outside the training app, every series and chain head, the stock
    levels and the statistics: what a sale may change."""
    return {
        "counts": {
            m._meta.label: m._default_manager.count()
            for m in apps.get_models()
            if m._meta.app_label != "training"
        },
        "series": sorted(
            SeriesCounter.objects.exclude(kind="training").values_list(
                "till_id", "kind", "year", "last_number", "last_hash"
            )
        ),
        "levels": sorted(StockLevel.objects.values_list("article_id", "store_id", "quantity")),
        "stats": {
            name: sorted(map(repr, apps.get_model("stats", name).objects.values_list()))
            for name in ("SalesStat", "DailyRevenue", "DailyTax", "DailyPayment")
        },
    }


def test_a_training_sale_writes_nothing_but_its_own_rows(
    basket: Callable[..., InvoiceDraft], training_on: None
) -> None:
    before = world()
    sale = training_sale_validate(draft=basket(), payments=CASH_20)
    assert TrainingSale.objects.filter(pk=sale.pk).exists()
    # No stock movement or level, statistic, invoice, outbox entry, chained record, event.
    assert world() == before
    # The same basket sold for real changes all of it: the comparison above can fail.
    invoice_validate(draft=basket(), payments=CASH_20)
    after = world()
    assert after["levels"] != before["levels"]
    assert after["stats"] != before["stats"]
    assert after["series"] != before["series"]
    assert after["counts"]["sync.OutboxEntry"] > before["counts"]["sync.OutboxEntry"]


def test_a_training_sale_is_priced_and_settled_like_the_invoice_of_the_same_basket(
    basket: Callable[..., InvoiceDraft], till: Till, training_on: None
) -> None:
    sale = training_sale_validate(draft=basket(), payments=CASH_20)
    training_set(on=False, till=till)
    invoice = invoice_validate(draft=basket(), payments=CASH_20)
    money = ("total_excl_tax", "total_tax", "total_incl_tax", "total_paid", "change_given")
    assert [getattr(sale, f) for f in money] == [getattr(invoice, f) for f in money]
    line_fields = ("article_code", "quantity", "discount_amount", "vat_rate", "total_incl_tax")
    assert list(sale.lines.values_list(*line_fields)) == list(
        invoice.lines.values_list(*line_fields)
    )
    tax_fields = ("vat_rate", "base_excl_tax", "tax", "total_incl_tax")
    assert list(sale.taxes.values_list(*tax_fields)) == list(
        invoice.taxes.order_by("vat_rate").values_list(*tax_fields)
    )
    assert list(sale.payments.values_list("method", "amount")) == [("cash", 2000)]


def test_training_sales_number_in_their_own_series_and_the_real_one_has_no_gap(
    basket: Callable[..., InvoiceDraft], till: Till
) -> None:
    first = invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    training_set(on=True, till=till)
    numbers = [training_sale_validate(draft=basket(), payments=CASH_20).number for _ in range(2)]
    training_set(on=False, till=till)
    second = invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    assert numbers == ["FORMATION-C1-000001", "FORMATION-C1-000002"]
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.number == first.number.replace("000001", "000002")
    # Back in training, the training series goes on where it was.
    training_set(on=True, till=till)
    again = training_sale_validate(draft=basket(), payments=CASH_20)
    assert again.number == "FORMATION-C1-000003"


def test_a_training_sale_is_refused_when_the_mode_is_off(
    basket: Callable[..., InvoiceDraft], till: Till
) -> None:
    draft = basket()
    with pytest.raises(TrainingError, match="mode formation n'est pas actif"):
        training_sale_validate(draft=draft, payments=CASH_20)
    assert InvoiceDraft.objects.filter(pk=draft.pk).exists()  # the basket is kept
    assert not TrainingSale.objects.exists()


def test_a_training_sale_refuses_what_a_real_sale_refuses(
    basket: Callable[..., InvoiceDraft], training_on: None
) -> None:
    draft = basket()
    with pytest.raises(Exception, match="Paiement insuffisant"):
        training_sale_validate(draft=draft, payments=[PaymentInput("card", "1")])
    assert not TrainingSale.objects.exists()
    assert InvoiceDraft.objects.filter(pk=draft.pk).exists()


def test_a_training_sale_cannot_be_the_origin_of_a_credit_note(
    basket: Callable[..., InvoiceDraft], training_on: None
) -> None:
    sale = training_sale_validate(draft=basket(), payments=CASH_20)
    with pytest.raises(NotFoundError):
        credit_note_issue(invoice_number=sale.number, cashier="alice")


def test_the_journal_stays_whole_and_its_chains_hold_only_real_records(
    basket: Callable[..., InvoiceDraft], till: Till
) -> None:
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    training_set(on=True, till=till, user="gerant")
    training_sale_validate(draft=basket(), payments=CASH_20)
    training_set(on=False, till=till, user="gerant")
    results = journal_verify()
    assert {r.status for r in results} == {"whole"}
    documents = next(r for r in results if r.chain == "doc")
    assert [s.spec.number(s.obj) for s in documents.stored] == [invoice.number]
    # The switches are logged (real events, with the manager's name).
    switches = TechnicalEvent.objects.filter(
        kind__in=[EventKind.TRAINING_ON, EventKind.TRAINING_OFF]
    ).values_list("kind", "user")
    assert list(switches.order_by("number")) == [
        ("training_on", "gerant"),
        ("training_off", "gerant"),
    ]


def _day_closing(till: Till, day: Any) -> dict[str, Any]:
    closings_close(till=till, until=day + timedelta(days=1))
    closing = Closing.objects.get(till=till, kind="day", period_start=day)
    values = closing_values(closing)
    for name in ("id", "post_id", "post_prefix", "instant", "invoice_first", "invoice_last"):
        values.pop(name)
    return values


def test_closings_and_perpetual_totals_are_the_same_with_and_without_training_sales(
    basket: Callable[..., InvoiceDraft], till: Till, store: Any
) -> None:
    other = till_create(store=store, name="Caisse 2", prefix="C2", node_id=till.node_id)
    day = timezone.localdate(at(10))
    for post in (till, other):  # the same real sales on both tills
        invoice_sell(lines=[SaleLine("VIN", 2)], till=post, at=at(10, 9))
        invoice_sell(lines=[SaleLine("PAIN", 5)], till=post, at=at(10, 17))
    training_set(on=True, till=till)
    for hour in (11, 12):
        training_sale_validate(draft=basket(), payments=CASH_20, at=at(10, hour))
    with_training = _day_closing(till, day)
    without = _day_closing(other, day)
    assert with_training == without
    assert with_training["invoice_count"] == 2
    assert with_training["perpetual_total"] == with_training["total_incl_vat"] > 0


def test_a_training_sale_changes_nothing_in_the_x_report(
    basket: Callable[..., InvoiceDraft], till: Till
) -> None:
    session = session_open(amount="50", till=till)
    invoice_sell(lines=[SaleLine("VIN", 1)], till=till, payments=CASH_20)
    before = report_x(session=session)
    training_set(on=True, till=till)
    training_sale_validate(draft=basket(), payments=CASH_20)
    after = report_x(session=session)
    assert after.figures == before.figures
    assert after.expected_cash == before.expected_cash == 5000 + 890
    assert Invoice.objects.count() == 1
