"""Upkeep of the derived statistics, incrementally and by full rebuild.

Both paths go through the same contribution functions, so a rebuild gives exactly the
figures the incremental updates gave (a test compares every row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from comptoir.lib.counters import rows_add
from comptoir.sales.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
    InvoiceTax,
    Payment,
)
from comptoir.stats.models import DailyPayment, DailyRevenue, DailyTax, SalesStat
from comptoir.sync.registry import Applied

Contribution = tuple[type[models.Model], dict[str, Any], dict[str, Any]]


def invoice_contributions(
    invoice: Invoice,
    *,
    lines: Iterable[InvoiceLine] | None = None,
    taxes: Iterable[InvoiceTax] | None = None,
    payments: Iterable[Payment] | None = None,
) -> Iterator[Contribution]:
    """What an invoice adds to each statistic. Its parts are read from the database unless
    given (a batch being applied has them in memory)."""
    day, store_id, till_id = invoice.business_date, invoice.store_id, invoice.till_id
    for line in invoice.lines.all() if lines is None else lines:
        yield (
            SalesStat,
            {
                "day": day,
                "article_id": line.article_id,
                "store_id": store_id,
                "till_id": till_id,
                "cashier": invoice.cashier,
            },
            {
                "quantity": line.quantity,
                "revenue_excl_tax": line.total_excl_tax,
                "revenue_incl_tax": line.total_incl_tax,
                "cost": line.total_cost,
            },
        )
    yield (
        DailyRevenue,
        {"day": day, "store_id": store_id, "till_id": till_id},
        {
            "invoice_count": 1,
            "total_excl_tax": invoice.total_excl_tax,
            "total_tax": invoice.total_tax,
            "total_incl_tax": invoice.total_incl_tax,
            "total_cost": invoice.total_cost,
        },
    )
    for tax in invoice.taxes.all() if taxes is None else taxes:
        yield (
            DailyTax,
            {"day": day, "store_id": store_id, "vat_rate": tax.vat_rate},
            {"base_excl_tax": tax.base_excl_tax, "tax": tax.tax},
        )
    change = invoice.change_given
    for payment in invoice.payments.all() if payments is None else payments:
        amount = payment.amount
        if payment.method == "cash" and change:
            kept = min(change, amount)
            amount -= kept
            change -= kept
        yield (
            DailyPayment,
            {"day": day, "store_id": store_id, "till_id": till_id, "method": payment.method},
            {"amount": amount},
        )


def credit_note_contributions(
    note: CreditNote,
    *,
    lines: Iterable[CreditNoteLine] | None = None,
    taxes: Iterable[CreditNoteTax] | None = None,
) -> Iterator[Contribution]:
    day, store_id, till_id = note.business_date, note.store_id, note.till_id
    for line in note.lines.all() if lines is None else lines:
        yield (
            SalesStat,
            {
                "day": day,
                "article_id": line.article_id,
                "store_id": store_id,
                "till_id": till_id,
                "cashier": note.cashier,
            },
            {
                "quantity": -line.quantity,
                "revenue_excl_tax": -line.total_excl_tax,
                "revenue_incl_tax": -line.total_incl_tax,
                "cost": -line.total_cost,
            },
        )
    yield (
        DailyRevenue,
        {"day": day, "store_id": store_id, "till_id": till_id},
        {
            "credit_note_count": 1,
            "returns_excl_tax": note.total_excl_tax,
            "returns_incl_tax": note.total_incl_tax,
            "returns_cost": note.total_cost,
        },
    )
    for tax in note.taxes.all() if taxes is None else taxes:
        yield (
            DailyTax,
            {"day": day, "store_id": store_id, "vat_rate": tax.vat_rate},
            {"returns_base_excl_tax": tax.base_excl_tax, "returns_tax": tax.tax},
        )
    yield (
        DailyPayment,
        {"day": day, "store_id": store_id, "till_id": till_id, "method": note.refund_method},
        {"refunds": note.total_incl_tax},
    )


Totals = dict[type[models.Model], dict[tuple[tuple[str, Any], ...], dict[str, Any]]]
DERIVED = (SalesStat, DailyRevenue, DailyTax, DailyPayment)


def _fold(totals: Totals, contributions: Iterable[Contribution]) -> None:
    for model, keys, increments in contributions:
        row = totals[model].setdefault(tuple(sorted(keys.items())), {})
        for field, amount in increments.items():
            row[field] = row.get(field, Decimal(0) if isinstance(amount, Decimal) else 0) + amount


def stats_record_many(contributions: Iterable[Contribution]) -> None:
    """Add documents to the statistics (one sale, or a sync batch): their contributions
    are summed per row, then each table gets one upsert adding the sums. Call in the
    transaction that inserted them (see ``sales.services.derived``).
    """
    totals: Totals = defaultdict(dict)
    _fold(totals, contributions)
    for model in DERIVED:
        rows = totals.get(model)
        if not rows:
            continue
        names = tuple(name for name, _value in next(iter(rows)))
        rows_add(
            model,
            names,
            {tuple(value for _name, value in key): values for key, values in rows.items()},
        )


def stats_derive_invoices(items: list[Applied]) -> None:
    """The statistics of new invoices, each as (invoice, parts by model)."""
    stats_record_many(
        contribution
        for root, parts in items
        for contribution in invoice_contributions(
            root,
            lines=parts.get(InvoiceLine, []),
            taxes=parts.get(InvoiceTax, []),
            payments=parts.get(Payment, []),
        )
    )


def stats_derive_credit_notes(items: list[Applied]) -> None:
    """The statistics of new credit notes, each as (note, parts by model)."""
    stats_record_many(
        contribution
        for root, parts in items
        for contribution in credit_note_contributions(
            root, lines=parts.get(CreditNoteLine, []), taxes=parts.get(CreditNoteTax, [])
        )
    )


@transaction.atomic(durable=True)
def stats_rebuild() -> dict[str, int]:
    """Recompute every statistic from invoices and credit notes. Returns row counts."""
    totals: Totals = defaultdict(dict)

    def fold(contributions: Iterator[Contribution]) -> None:
        _fold(totals, contributions)

    invoices = Invoice.objects.prefetch_related("lines", "taxes", "payments").order_by("pk")
    for invoice in invoices.iterator(chunk_size=2000):
        fold(invoice_contributions(invoice))
    notes = CreditNote.objects.prefetch_related("lines", "taxes").order_by("pk")
    for note in notes.iterator(chunk_size=2000):
        fold(credit_note_contributions(note))

    counts = {}
    for model in DERIVED:
        model._default_manager.all().delete()
        rows: list[Any] = [model(**dict(key), **values) for key, values in totals[model].items()]
        model._default_manager.bulk_create(rows, batch_size=2000)
        counts[model._meta.model_name or ""] = len(rows)
    return counts
