"""Reads of the derived statistics, summed over stores, for a period of business days."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from django.db import models
from django.db.models import Sum

from comptoir.stats.models import DailyPayment, DailyRevenue, SalesStat

M = TypeVar("M", bound=models.Model)

SALES_GROUPS: dict[str, tuple[str, ...]] = {
    "article": ("article__code", "article__name"),
    "till": ("till__prefix", "till__name"),
    "cashier": ("cashier",),
}


def _period(qs: models.QuerySet[M], date_from: date | None, date_to: date | None) -> Any:
    if date_from:
        qs = qs.filter(day__gte=date_from)
    if date_to:
        qs = qs.filter(day__lte=date_to)
    return qs


def daily_revenue_list(*, date_from: date | None = None, date_to: date | None = None) -> list[dict]:
    """Per day: counts and amounts (minor units) of invoices and credit notes, apart."""
    fields = (
        "invoice_count",
        "total_excl_tax",
        "total_tax",
        "total_incl_tax",
        "total_cost",
        "credit_note_count",
        "returns_excl_tax",
        "returns_incl_tax",
        "returns_cost",
    )
    qs = _period(DailyRevenue.objects.all(), date_from, date_to)
    return list(qs.values("day").annotate(**{f: Sum(f) for f in fields}).order_by("day"))


def sales_totals_list(
    *, group: str, date_from: date | None = None, date_to: date | None = None
) -> list[dict]:
    """Net sales (returns deducted) per article, till or cashier, largest revenue first."""
    keys = SALES_GROUPS[group]
    qs = _period(SalesStat.objects.all(), date_from, date_to)
    return list(
        qs.values(*keys)
        .annotate(
            quantity=Sum("quantity"),
            revenue_excl_tax=Sum("revenue_excl_tax"),
            revenue_incl_tax=Sum("revenue_incl_tax"),
            cost=Sum("cost"),
        )
        .order_by("-revenue_incl_tax", *keys)
    )


def payment_totals_list(
    *, date_from: date | None = None, date_to: date | None = None
) -> list[dict]:
    """Rows ``{method, amount, refunds}``, one per payment method, summed over every store:
    money kept (change deducted) and refunded. See ``dashboard.selectors.payment_totals_map``
    for one store's or till's, keyed by method."""
    qs = _period(DailyPayment.objects.all(), date_from, date_to)
    return list(
        qs.values("method")
        .annotate(amount=Sum("amount"), refunds=Sum("refunds"))
        .order_by("method")
    )
