"""Reads of stock: levels per store, totals, movement history."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet, Sum

from comptoir.stock.models import StockLevel, StockMovement


def article_stock_total(*, article_id: UUID) -> Decimal:
    total = StockLevel.objects.filter(article_id=article_id).aggregate(total=Sum("quantity"))
    return total["total"] if total["total"] is not None else Decimal(0)


def stock_levels(*, store_id: UUID | None = None) -> QuerySet[StockLevel]:
    qs = StockLevel.objects.select_related("article", "store").order_by(
        "article__code", "store__name"
    )
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    return qs


def stock_level(*, article_id: UUID, store_id: UUID) -> Decimal:
    level = StockLevel.objects.filter(article_id=article_id, store_id=store_id).first()
    return level.quantity if level else Decimal(0)


def movement_history(*, article_id: UUID, store_id: UUID) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(article_id=article_id, store_id=store_id).order_by(
        "occurred_at", "id"
    )
