"""Reads of stock: levels per store, totals, movement history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet, Sum

from comptoir.stock.models import InventoryCount, StockLevel, StockMovement

COUNT_KIND = "count"


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


@dataclass(frozen=True)
class HistoryEntry:
    """One fact of an article's stock ledger in a store, and the level right after it."""

    at: datetime
    kind: str  # a MovementKind value, or "count"
    quantity: Decimal  # signed for movements, absolute for counts
    level: Decimal
    reference: str  # invoice or credit note number, supplier code, or ""
    note: str


def stock_history(*, article_id: UUID, store_id: UUID) -> list[HistoryEntry]:
    """Movements and counts in ledger order, each with the running level.

    Same rule as the level itself: a count restarts the level from its quantity and only
    the movements strictly after it add up; a movement at the very instant of a count is
    ordered before it, and counts at one instant are ordered by id.
    """
    facts: list[tuple[tuple[datetime, int, str], str, Decimal, str, str]] = []
    movements = movement_history(article_id=article_id, store_id=store_id).select_related(
        "invoice", "credit_note", "supplier"
    )
    for m in movements:
        ref = (
            m.invoice.number
            if m.invoice
            else m.credit_note.number
            if m.credit_note
            else m.supplier.code
            if m.supplier
            else ""
        )
        facts.append(((m.occurred_at, 0, str(m.id)), m.kind, m.quantity, ref, m.note))
    for c in InventoryCount.objects.filter(article_id=article_id, store_id=store_id):
        facts.append(((c.counted_at, 1, str(c.id)), COUNT_KIND, c.quantity, "", c.note))
    level = Decimal(0)
    entries = []
    for key, kind, quantity, ref, note in sorted(facts, key=lambda f: f[0]):
        level = quantity if kind == COUNT_KIND else level + quantity
        entries.append(HistoryEntry(key[0], kind, quantity, level, ref, note))
    return entries
