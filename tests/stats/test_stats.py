"""Derived statistics: kept up in the sale's transaction, equal to a rebuild from facts."""

import importlib
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from comptoir.sales.models import CreditNote, CreditNoteTax, Invoice, InvoiceTax
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stats.models import DailyPayment, DailyRevenue, DailyTax, SalesStat
from comptoir.stats.services import stats_rebuild
from comptoir.stores.services import store_get_or_create, till_create
from tests.factories import at, make_article, stats_snapshot


@pytest.fixture
def trading(till):
    """Three days of trade in two stores, three tills, three cashiers, every payment method."""
    till2 = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="node-2")
    annex = store_get_or_create(name="Annexe")
    till3 = till_create(store=annex, name="Caisse annexe", prefix="A1", node_id="node-3")
    make_article("PAIN", "1.20", vat="5.5", cost="0.40")
    make_article("VIN", "8.90", vat="20", cost="4.00")
    make_article("FROM", "24.90", vat="5.5", cost="12.00", unit="kg")
    make_article("LIVRE", "15.00", vat="0", cost="9.00")

    def sell(lines, payments, when, cashier, on=till):
        return invoice_sell(
            lines=lines, payments=payments, at=when, cashier=cashier, till=on
        ).number

    cash = PaymentInput
    first = sell([SaleLine("PAIN", 3), SaleLine("VIN", 1)], [cash("cash", "20")], at(2, 9), "alice")
    sell([SaleLine("FROM", "0.350", discount_rate=10)], [cash("card", "7.85")], at(2, 10), "bob")
    second = sell(
        [SaleLine("VIN", 2), SaleLine("PAIN", 1), SaleLine("VIN", 1)],
        [cash("card", "20"), cash("cash", "10")],
        at(2, 11),
        "bob",
        till2,
    )
    sell([SaleLine("LIVRE", 1)], [cash("mobile", "15")], at(2, 12), "carole", till3)
    # Each till makes its documents in time order, as a real one does: a document is never
    # dated in a day its till has closed (the first document of a day closes the day before).
    credit_note_issue(invoice_number=first, at=at(2, 17), cashier="alice")
    third = sell(
        [SaleLine("LIVRE", 2), SaleLine("PAIN", 2)],
        [cash("cheque", "20"), cash("cash", "12.40")],
        at(3, 9),
        "alice",
    )
    credit_note_issue(
        invoice_number=second,
        lines=[ReturnLine("VIN", 2)],
        refund_method="card",
        at=at(3, 10),
        cashier="bob",
        till=till2,
    )
    # A sale late on the 3rd in UTC is on the 4th in Paris.
    sell(
        [SaleLine("FROM", "1.234")],
        [cash("cash", "50")],
        datetime(2026, 3, 3, 23, 30, tzinfo=UTC),
        "alice",
        till2,
    )
    credit_note_issue(
        invoice_number=third, lines=[ReturnLine("LIVRE", 1)], at=at(4, 10), cashier="alice"
    )


def test_a_rebuild_gives_every_statistic_row_the_incremental_updates_gave(trading):
    incremental = stats_snapshot()
    assert all(len(rows) >= 4 for rows in incremental.values())
    counts = stats_rebuild()
    assert counts == {name.lower(): len(rows) for name, rows in incremental.items()}
    assert stats_snapshot() == incremental


def test_a_rebuild_restores_statistics_wiped_out(trading):
    expected = stats_snapshot()
    for model in (SalesStat, DailyRevenue, DailyTax, DailyPayment):
        model.objects.all().delete()
    stats_rebuild()
    assert stats_snapshot() == expected


def test_daily_revenue_matches_the_invoices_and_counts_returns_apart(trading):
    expected: defaultdict[tuple, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for invoice in Invoice.objects.all():
        row = expected[(invoice.business_date, invoice.store_id, invoice.till_id)]
        row["invoice_count"] += 1
        row["total_excl_tax"] += invoice.total_excl_tax
        row["total_tax"] += invoice.total_tax
        row["total_incl_tax"] += invoice.total_incl_tax
        row["total_cost"] += invoice.total_cost
    for note in CreditNote.objects.all():
        row = expected[(note.business_date, note.store_id, note.till_id)]
        row["credit_note_count"] += 1
        row["returns_excl_tax"] += note.total_excl_tax
        row["returns_incl_tax"] += note.total_incl_tax
        row["returns_cost"] += note.total_cost
    fields = [
        "invoice_count",
        "total_excl_tax",
        "total_tax",
        "total_incl_tax",
        "total_cost",
        "credit_note_count",
        "returns_excl_tax",
        "returns_incl_tax",
        "returns_cost",
    ]
    got = {
        (r.day, r.store_id, r.till_id): {f: getattr(r, f) for f in fields}
        for r in DailyRevenue.objects.all()
    }
    assert got == {key: {f: row[f] for f in fields} for key, row in expected.items()}
    # Per till: C1, C2 and A1 on the 2nd; C1's sale and C2's return on the 3rd; C2's sale
    # (late on the 3rd in UTC) and C1's return on the 4th.
    assert (
        sorted(d for d, _s, _t in got)
        == [date(2026, 3, 2)] * 3 + [date(2026, 3, 3)] * 2 + [date(2026, 3, 4)] * 2
    )


def test_daily_tax_matches_the_printed_vat_breakdowns_sales_and_returns_apart(trading):
    expected: defaultdict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for tax in InvoiceTax.objects.select_related("invoice"):
        row = expected[(tax.invoice.business_date, tax.invoice.store_id, tax.vat_rate)]
        row[0] += tax.base_excl_tax
        row[1] += tax.tax
    for tax in CreditNoteTax.objects.select_related("credit_note"):
        note = tax.credit_note
        row = expected[(note.business_date, note.store_id, tax.vat_rate)]
        row[2] += tax.base_excl_tax
        row[3] += tax.tax
    got = {
        (r.day, r.store_id, r.vat_rate): [
            r.base_excl_tax,
            r.tax,
            r.returns_base_excl_tax,
            r.returns_tax,
        ]
        for r in DailyTax.objects.all()
    }
    assert got == dict(expected)
    returns = DailyTax.objects.filter(day=date(2026, 3, 3), vat_rate=Decimal(20)).get()
    # Two bottles of wine returned: 17.80 TTC = 14.83 HT + 2.97 VAT, no wine sold that day
    assert (returns.base_excl_tax, returns.returns_base_excl_tax, returns.returns_tax) == (
        0,
        1483,
        297,
    )


def test_payments_are_counted_net_of_change_and_refunds_apart(trading):
    by_method: defaultdict[str, int] = defaultdict(int)
    refunds: defaultdict[str, int] = defaultdict(int)
    for row in DailyPayment.objects.all():
        by_method[row.method] += row.amount
        refunds[row.method] += row.refunds
    assert sum(by_method.values()) == sum(i.total_incl_tax for i in Invoice.objects.all())
    assert sum(refunds.values()) == sum(n.total_incl_tax for n in CreditNote.objects.all())
    day2 = {
        (row.till.prefix, row.method): row.amount
        for row in DailyPayment.objects.filter(
            day=date(2026, 3, 2), store__name="Magasin principal"
        )
    }
    # On C1, alice: 12.50 paid with a 20 note (7.50 change); bob: 7.85 by card. On C2, bob:
    # 27.90 = 20 card + 10 cash with 2.10 change.
    assert day2 == {
        ("C1", "cash"): 1250,
        ("C1", "card"): 785,
        ("C2", "card"): 2000,
        ("C2", "cash"): 790,
    }
    assert by_method["cheque"] == 2000
    assert by_method["mobile"] == 1500
    assert refunds["card"] == 1780


def test_sales_statistics_net_returns_per_article(trading):
    net: defaultdict[str, Decimal] = defaultdict(Decimal)
    revenue = 0
    for row in SalesStat.objects.select_related("article"):
        net[row.article.code] += row.quantity
        revenue += row.revenue_incl_tax
    assert dict(net) == {
        "PAIN": Decimal(3),  # 3 + 1 + 2 sold, 3 returned
        "VIN": Decimal(1),  # 1 + 3 sold, 1 + 2 returned
        "FROM": Decimal("1.584"),
        "LIVRE": Decimal(2),  # 1 + 2 sold, 1 returned
    }
    assert revenue == sum(i.total_incl_tax for i in Invoice.objects.all()) - sum(
        n.total_incl_tax for n in CreditNote.objects.all()
    )
    bob = SalesStat.objects.filter(cashier="bob", article__code="VIN", till__prefix="C2")
    assert [(r.day, r.quantity) for r in bob.order_by("day")] == [
        (date(2026, 3, 2), Decimal(3)),
        (date(2026, 3, 3), Decimal(-2)),
    ]


def test_margins_come_from_the_cost_snapshot_of_each_sale(trading):
    row = SalesStat.objects.get(article__code="LIVRE", cashier="carole", day=date(2026, 3, 2))
    assert (row.revenue_excl_tax, row.cost, row.margin) == (1500, 900, 600)


def test_the_migration_to_per_till_rows_gives_the_figures_the_sales_gave(trading):
    """``stats`` 0003 fills revenue and payments per till from the facts (its own copy of
    the rules, as a migration must keep): the same rows as the sales' own upkeep."""
    from django.apps import apps

    fill = importlib.import_module(
        "comptoir.stats.migrations.0003_daily_revenue_payment_till_filled"
    ).fill
    expected = stats_snapshot()
    DailyRevenue.objects.all().delete()
    DailyPayment.objects.filter(method="cash").delete()
    fill(apps, None)
    assert stats_snapshot() == expected
