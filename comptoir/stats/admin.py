"""Admin of the derived statistics: read-only, recomputed by ``comptoir stats rebuild``."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from comptoir.lib.adminlib import ReadOnlyAdmin, show_amount
from comptoir.stats.models import DailyPayment, DailyRevenue, DailyTax, SalesStat


@admin.register(SalesStat)
class SalesStatAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "article",
        "till",
        "cashier",
        "quantity_fmt",
        "revenue_excl_tax_fmt",
        "revenue_incl_tax_fmt",
        "cost_fmt",
        "margin_fmt",
    )
    list_filter = ("store", "till", "cashier")
    search_fields = ("article__code", "article__name", "cashier")
    date_hierarchy = "day"
    list_select_related = ("article", "till")

    @admin.display(description=_("marge"))
    def margin_fmt(self, obj: SalesStat) -> str:
        return show_amount(obj.margin)


@admin.register(DailyRevenue)
class DailyRevenueAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "store",
        "invoice_count",
        "total_excl_tax_fmt",
        "total_tax_fmt",
        "total_incl_tax_fmt",
        "average_basket_fmt",
        "credit_note_count",
        "returns_incl_tax_fmt",
    )
    list_filter = ("store",)
    date_hierarchy = "day"
    list_select_related = ("store",)

    @admin.display(description=_("panier moyen"))
    def average_basket_fmt(self, obj: DailyRevenue) -> str:
        return show_amount(obj.average_basket)


@admin.register(DailyTax)
class DailyTaxAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "store",
        "vat_rate",
        "base_excl_tax_fmt",
        "tax_fmt",
        "returns_base_excl_tax_fmt",
        "returns_tax_fmt",
    )
    list_filter = ("store", "vat_rate")
    date_hierarchy = "day"
    list_select_related = ("store",)


@admin.register(DailyPayment)
class DailyPaymentAdmin(ReadOnlyAdmin):
    list_display = ("day", "store", "method", "amount_fmt", "refunds_fmt")
    list_filter = ("store", "method")
    date_hierarchy = "day"
    list_select_related = ("store",)
