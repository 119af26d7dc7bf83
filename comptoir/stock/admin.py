"""Admin of stock: movements and counts are facts, levels are derived; all read-only here."""

from __future__ import annotations

from django.contrib import admin

from comptoir.lib.adminlib import ReadOnlyAdmin
from comptoir.stock.models import InventoryCount, StockLevel, StockMovement


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "article",
        "store",
        "kind",
        "quantity_fmt",
        "invoice",
        "credit_note",
        "supplier",
        "note",
    )
    list_filter = ("kind", "store", "supplier")
    search_fields = ("article__code", "article__name", "invoice__number", "note")
    date_hierarchy = "occurred_at"
    list_select_related = ("article", "store", "invoice", "credit_note", "supplier")


@admin.register(InventoryCount)
class InventoryCountAdmin(ReadOnlyAdmin):
    list_display = ("counted_at", "article", "store", "quantity_fmt", "note")
    list_filter = ("store",)
    search_fields = ("article__code", "article__name", "note")
    date_hierarchy = "counted_at"
    list_select_related = ("article", "store")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("article", "store", "quantity_fmt", "count_at")
    list_filter = ("store",)
    search_fields = ("article__code", "article__name")
    list_select_related = ("article", "store")
