"""Admin of stock: movements and counts are facts, levels are derived; all read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.admin import ArticleAdmin
from comptoir.catalogue.models import Article
from comptoir.lib.adminlib import ReadOnlyAdmin, show_quantity
from comptoir.lib.fields import QuantityField
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


# The catalogue's article list, with the stock summed over stores after the unit (the
# catalogue sits below stock and knows nothing of levels).
admin.site.unregister(Article)


@admin.register(Article)
class ArticleStockAdmin(ArticleAdmin):
    list_display: tuple[str, ...] = tuple(
        c
        for name in ArticleAdmin.list_display
        for c in ((name, "stock") if name == "unit" else (name,))
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        levels = (
            StockLevel.objects.filter(article=OuterRef("pk"))
            .values("article")
            .annotate(total=Sum("quantity"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(stock_total=Subquery(levels, output_field=QuantityField()))
        )

    @admin.display(description=_("stock"), ordering="stock_total")
    def stock(self, obj: Any) -> str:
        return show_quantity(obj.stock_total)
