"""Recompute revenue and payments per till from the invoices and credit notes, with the
rules of ``stats.services`` at the time of writing (a migration keeps its own copy):
sales and returns apart, cash net of the change given, refunds per refund method. In
its own migration: PostgreSQL refuses to alter a table with pending foreign-key checks.
"""

from collections import defaultdict
from typing import Any

from django.db import migrations

CHUNK = 2000
REVENUE = ("total_excl_tax", "total_tax", "total_incl_tax", "total_cost")
RETURNS = ("returns_excl_tax", "returns_incl_tax", "returns_cost")


def fill(apps: Any, schema_editor: Any) -> None:
    Invoice = apps.get_model("sales", "Invoice")
    CreditNote = apps.get_model("sales", "CreditNote")
    Payment = apps.get_model("sales", "Payment")
    DailyRevenue = apps.get_model("stats", "DailyRevenue")
    DailyPayment = apps.get_model("stats", "DailyPayment")

    revenue: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, store, till, *amounts in Invoice.objects.values_list(
        "business_date", "store_id", "till_id", *REVENUE
    ).iterator(chunk_size=CHUNK):
        row = revenue[(day, store, till)]
        row["invoice_count"] += 1
        for name, amount in zip(REVENUE, amounts, strict=True):
            row[name] += amount
    notes = CreditNote.objects.values_list(
        "business_date", "store_id", "till_id", "refund_method", *REVENUE
    )
    refunds: dict[tuple[Any, ...], int] = defaultdict(int)
    for day, store, till, method, excl, _tax, incl, cost in notes.iterator(chunk_size=CHUNK):
        row = revenue[(day, store, till)]
        row["credit_note_count"] += 1
        for name, amount in zip(RETURNS, (excl, incl, cost), strict=True):
            row[name] += amount
        refunds[(day, store, till, method)] += incl

    kept: dict[tuple[Any, ...], int] = defaultdict(int)
    change_left: dict[Any, int] = {}
    payments = Payment.objects.order_by("invoice_id", "position").values_list(
        "invoice_id",
        "invoice__business_date",
        "invoice__store_id",
        "invoice__till_id",
        "invoice__change_given",
        "method",
        "amount",
    )
    for invoice, day, store, till, change, method, amount in payments.iterator(chunk_size=CHUNK):
        left = change_left.setdefault(invoice, change)
        if method == "cash" and left:
            taken = min(left, amount)
            amount -= taken
            change_left[invoice] = left - taken
        kept[(day, store, till, method)] += amount
        if len(change_left) > CHUNK:  # payments come by invoice: forget finished ones
            change_left = {invoice: change_left[invoice]}

    DailyRevenue.objects.all().delete()
    DailyRevenue.objects.bulk_create(
        [
            DailyRevenue(day=day, store_id=store, till_id=till, **values)
            for (day, store, till), values in revenue.items()
        ],
        batch_size=CHUNK,
    )
    DailyPayment.objects.all().delete()
    DailyPayment.objects.bulk_create(
        [
            DailyPayment(
                day=key[0],
                store_id=key[1],
                till_id=key[2],
                method=key[3],
                amount=kept.get(key, 0),
                refunds=refunds.get(key, 0),
            )
            for key in {*kept, *refunds}
        ],
        batch_size=CHUNK,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0003_invoice_customer_date_idx"),
        ("stats", "0002_daily_revenue_payment_till"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
