"""Reads behind the manager's dashboard: revenue, payments, top articles, margin, low stock.

Amounts are minor units (ints). Every figure comes from the derived statistics
(``DailyRevenue``, ``DailyPayment``, ``SalesStat``), kept per store and till: a screen
never re-derives what they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.db import models
from django.db.models import Count, F, Q, QuerySet, Sum

from comptoir.catalogue.models import Article
from comptoir.lib.money import round_half_up
from comptoir.stats.models import DailyPayment, DailyRevenue, SalesStat
from comptoir.stock.models import StockLevel
from comptoir.stores.models import Store

CHART_DAYS = 30
TOP_ARTICLES = 10
LOW_STOCK_LIMIT = 50
M = TypeVar("M", bound=models.Model)

REVENUE_FIELDS = (
    "invoice_count",
    "total_excl_tax",
    "total_incl_tax",
    "total_cost",
    "credit_note_count",
    "returns_excl_tax",
    "returns_incl_tax",
    "returns_cost",
)


@dataclass(frozen=True)
class Scope:
    """Which sales the dashboard counts: all, one store's, or one till's."""

    store_id: UUID | None = None
    till_id: UUID | None = None


def _scoped(qs: QuerySet[M], scope: Scope) -> QuerySet[M]:
    """The rows of the scope's store and till (every statistic is kept per till)."""
    if scope.store_id is not None:
        qs = qs.filter(store_id=scope.store_id)
    if scope.till_id is not None:
        qs = qs.filter(till_id=scope.till_id)
    return qs


def _empty_day() -> dict[str, int]:
    return dict.fromkeys(REVENUE_FIELDS, 0)


def daily_revenue_map(
    *, scope: Scope, date_from: date, date_to: date
) -> dict[date, dict[str, int]]:
    """Per business day with sales or returns: counts and amounts, sales and returns apart."""
    qs = _scoped(DailyRevenue.objects.filter(day__gte=date_from, day__lte=date_to), scope)
    return {
        row["day"]: {f: int(row[f] or 0) for f in REVENUE_FIELDS}
        for row in qs.values("day").annotate(**{f: Sum(f) for f in REVENUE_FIELDS})
    }


def revenue_summarize(
    days: dict[date, dict[str, int]], date_from: date, date_to: date
) -> dict[str, Any]:
    """Totals of a period: sales, returns, net revenue and the average basket (incl. VAT)."""
    total = _empty_day()
    for day, row in days.items():
        if date_from <= day <= date_to:
            for f in REVENUE_FIELDS:
                total[f] += row[f]
    count = total["invoice_count"]
    return {
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        **total,
        "net_incl_tax": total["total_incl_tax"] - total["returns_incl_tax"],
        "net_excl_tax": total["total_excl_tax"] - total["returns_excl_tax"],
        "average_basket": round_half_up(Decimal(total["total_incl_tax"]) / count) if count else 0,
    }


def payment_totals_map(*, scope: Scope, date_from: date, date_to: date) -> dict[str, dict]:
    """``{method: {amount, refunds}}`` in ``scope``: money kept per payment method (change
    deducted from cash) and refunded."""
    qs = _scoped(DailyPayment.objects.filter(day__gte=date_from, day__lte=date_to), scope)
    return {
        r["method"]: {"amount": int(r["amount"] or 0), "refunds": int(r["refunds"] or 0)}
        for r in qs.values("method").annotate(amount=Sum("amount"), refunds=Sum("refunds"))
    }


def _sales_stats(*, scope: Scope, date_from: date, date_to: date) -> QuerySet[SalesStat]:
    return _scoped(SalesStat.objects.filter(day__gte=date_from, day__lte=date_to), scope)


def article_top_list(
    *, scope: Scope, date_from: date, date_to: date, by: str, limit: int = TOP_ARTICLES
) -> list[dict[str, Any]]:
    """Best sellers, returns deducted, by ``revenue`` (incl. VAT) or ``quantity``."""
    order = "-revenue_incl_tax" if by == "revenue" else "-quantity"
    rows = (
        _sales_stats(scope=scope, date_from=date_from, date_to=date_to)
        .values("article__code", "article__name", "article__unit")
        .annotate(
            quantity=Sum("quantity"),
            revenue_incl_tax=Sum("revenue_incl_tax"),
            revenue_excl_tax=Sum("revenue_excl_tax"),
            cost=Sum("cost"),
        )
        .order_by(order, "article__code")[:limit]
    )
    return [
        {
            "code": r["article__code"],
            "name": r["article__name"],
            "unit": r["article__unit"],
            "quantity": r["quantity"],
            "revenue_incl_tax": int(r["revenue_incl_tax"]),
            "revenue_excl_tax": int(r["revenue_excl_tax"]),
            "margin": int(r["revenue_excl_tax"]) - int(r["cost"]),
        }
        for r in rows
    ]


def margin_get(*, scope: Scope, date_from: date, date_to: date) -> dict[str, Any]:
    """Gross margin: net revenue excl. VAT minus the cost snapshotted on each sale line.

    ``revenue_without_cost`` is the revenue of lines sold with no cost price recorded
    (cost 0): their margin is overstated, so the dashboard says how much of it there is.
    A row's cost also nets to 0 when a costed article's sale and a return cancel out (by
    another cashier, the same day), leaving a cent of rounding on the revenue: so the rows
    at cost 0 are summed per article and only a positive sum counts, bounded by the
    revenue. The share is never negative and never more than the whole.
    """
    qs = _sales_stats(scope=scope, date_from=date_from, date_to=date_to)
    sums = qs.aggregate(revenue=Sum("revenue_excl_tax"), cost=Sum("cost"))
    revenue, cost = int(sums["revenue"] or 0), int(sums["cost"] or 0)
    per_article = qs.filter(cost=0).values("article_id").annotate(revenue=Sum("revenue_excl_tax"))
    no_cost = sum(max(int(r["revenue"] or 0), 0) for r in per_article)
    value = revenue - cost
    rate = (Decimal(value) * 100 / revenue).quantize(Decimal("0.1")) if revenue else None
    return {
        "revenue_excl_tax": revenue,
        "cost": cost,
        "margin": value,
        "rate": str(rate) if rate is not None else None,
        "revenue_without_cost": min(no_cost, max(revenue, 0)),
        "source": "sales_stats",
    }


def low_stock(*, store_id: UUID | None, limit: int = LOW_STOCK_LIMIT) -> list[dict[str, Any]]:
    """Articles at or under their alert threshold (or below zero), most urgent first.

    An article with a threshold and no stock ever recorded in a store counts as 0 there.
    """
    levels = StockLevel.objects.filter(article__archived=False).filter(
        Q(article__alert_threshold__gt=0, quantity__lte=F("article__alert_threshold"))
        | Q(quantity__lt=0)
    )
    if store_id is not None:
        levels = levels.filter(store_id=store_id)
    rows: list[dict[str, Any]] = [
        {
            "code": lv.article.code,
            "name": lv.article.name,
            "unit": lv.article.unit,
            "store": lv.store.name,
            "quantity": lv.quantity,
            "threshold": lv.article.alert_threshold,
        }
        for lv in levels.select_related("article", "store").order_by(
            F("quantity") - F("article__alert_threshold"), "article__code"
        )[:limit]
    ]
    rows.extend(_never_stocked(store_id=store_id, limit=limit))
    rows.sort(key=lambda r: (r["quantity"] - r["threshold"], r["code"]))
    return rows[:limit]


def _never_stocked(*, store_id: UUID | None, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` (article, store) pairs with a threshold and no stock level, most
    urgent first (highest threshold, then code, then store name): a query for the stores'
    number, one for the articles missing somewhere, then for one store its name, for
    several one query per such article (at most ``limit``), however many stores."""
    stores = Store.objects.filter(archived=False)
    in_scope = Q(stock_levels__store__archived=False)
    if store_id is not None:
        stores = stores.filter(pk=store_id)
        in_scope &= Q(stock_levels__store_id=store_id)
    count = stores.count()
    if not count:
        return []
    articles = (
        Article.objects.filter(archived=False, alert_threshold__gt=0)
        .annotate(stocked=Count("stock_levels", filter=in_scope))
        .filter(stocked__lt=count)
        .order_by("-alert_threshold", "code")[:limit]
    )
    rows: list[dict[str, Any]] = []
    only = stores.values_list("name", flat=True).first() if count == 1 else None
    for article in articles:
        if only is not None:  # one store: each of these articles misses it
            missing: Any = [only]
        else:
            stocked = StockLevel.objects.filter(article_id=article.pk).values("store_id")
            missing = stores.exclude(pk__in=stocked).order_by("name")[: limit - len(rows)]
            missing = missing.values_list("name", flat=True)
        rows.extend(
            {
                "code": article.code,
                "name": article.name,
                "unit": article.unit,
                "store": name,
                "quantity": Decimal(0),
                "threshold": article.alert_threshold,
            }
            for name in missing
        )
        if len(rows) >= limit:
            break
    return rows


def dashboard_get(*, scope: Scope, today: date) -> dict[str, Any]:
    """Everything the dashboard shows, as plain values (the JSON endpoint returns this)."""
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    chart_start = today - timedelta(days=CHART_DAYS - 1)
    days = daily_revenue_map(scope=scope, date_from=min(month_start, chart_start), date_to=today)
    by_day = []
    for n in range(CHART_DAYS):
        day = chart_start + timedelta(days=n)
        row = days.get(day, _empty_day())
        by_day.append(
            {
                "day": day.isoformat(),
                "invoice_count": row["invoice_count"],
                "revenue_incl_tax": row["total_incl_tax"],
                "returns_incl_tax": row["returns_incl_tax"],
                "net_incl_tax": row["total_incl_tax"] - row["returns_incl_tax"],
            }
        )
    methods = payment_totals_map(scope=scope, date_from=chart_start, date_to=today)
    return {
        "today": today.isoformat(),
        "store": str(scope.store_id) if scope.store_id else None,
        "till": str(scope.till_id) if scope.till_id else None,
        "periods": {
            "today": revenue_summarize(days, today, today),
            "week": revenue_summarize(days, week_start, today),
            "month": revenue_summarize(days, month_start, today),
        },
        "chart_from": chart_start.isoformat(),
        "by_day": by_day,
        "by_method": [{"method": m, **methods[m]} for m in sorted(methods)],
        "top_by_revenue": article_top_list(
            scope=scope, date_from=chart_start, date_to=today, by="revenue"
        ),
        "top_by_quantity": article_top_list(
            scope=scope, date_from=chart_start, date_to=today, by="quantity"
        ),
        "margin": margin_get(scope=scope, date_from=chart_start, date_to=today),
    }
