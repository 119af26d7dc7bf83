"""Admin of sales. Invoices and credit notes are facts: read-only, created by the services."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from comptoir.lib.adminlib import ReadOnlyAdmin, ReadOnlyInline
from comptoir.sales.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceDraft,
    InvoiceDraftLine,
    InvoiceLine,
    InvoiceTax,
    Payment,
)

LINE_FIELDS = (
    "position",
    "article_code",
    "label",
    "quantity_fmt",
    "unit",
    "unit_price_fmt",
    "discount_rate",
    "vat_rate",
    "total_excl_tax_fmt",
    "total_incl_tax_fmt",
    "total_cost_fmt",
)
TAX_FIELDS = ("vat_rate", "base_excl_tax_fmt", "tax_fmt", "total_incl_tax_fmt")


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = LINE_FIELDS


class InvoiceTaxInline(ReadOnlyInline):
    model = InvoiceTax
    fields = TAX_FIELDS


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("position", "method", "amount_fmt")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    inlines = (InvoiceLineInline, InvoiceTaxInline, PaymentInline)
    list_display = (
        "number",
        "validated_at",
        "till",
        "cashier",
        "customer_name",
        "total_excl_tax_fmt",
        "total_tax_fmt",
        "total_incl_tax_fmt",
        "change_given_fmt",
    )
    list_filter = ("till", "store", "cashier", "payments__method")
    search_fields = ("number", "customer_name", "customer__code", "lines__article_code")
    date_hierarchy = "validated_at"
    list_select_related = ("till",)


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    fields = (
        "position",
        "article",
        "quantity_fmt",
        "vat_rate",
        "total_excl_tax_fmt",
        "total_incl_tax_fmt",
    )


class CreditNoteTaxInline(ReadOnlyInline):
    model = CreditNoteTax
    fields = TAX_FIELDS


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    inlines = (CreditNoteLineInline, CreditNoteTaxInline)
    list_display = (
        "number",
        "issued_at",
        "invoice",
        "till",
        "reason",
        "refund_method",
        "total_incl_tax_fmt",
    )
    list_filter = ("till", "store", "refund_method")
    search_fields = ("number", "invoice__number", "reason")
    date_hierarchy = "issued_at"
    list_select_related = ("invoice", "till")


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ("invoice", *LINE_FIELDS[1:])
    list_filter = ("vat_rate", "unit")
    search_fields = ("article_code", "label", "invoice__number")
    list_select_related = ("invoice",)


@admin.register(InvoiceTax)
class InvoiceTaxAdmin(ReadOnlyAdmin):
    list_display = ("invoice", *TAX_FIELDS)
    list_filter = ("vat_rate",)
    search_fields = ("invoice__number",)
    list_select_related = ("invoice",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "position", "method", "amount_fmt")
    list_filter = ("method",)
    search_fields = ("invoice__number",)
    list_select_related = ("invoice",)


@admin.register(CreditNoteLine)
class CreditNoteLineAdmin(ReadOnlyAdmin):
    list_display = ("credit_note", "position", "article", "quantity_fmt", "total_incl_tax_fmt")
    search_fields = ("credit_note__number", "article__code", "article__name")
    list_select_related = ("credit_note", "article")


@admin.register(CreditNoteTax)
class CreditNoteTaxAdmin(ReadOnlyAdmin):
    list_display = ("credit_note", *TAX_FIELDS)
    list_filter = ("vat_rate",)
    search_fields = ("credit_note__number",)
    list_select_related = ("credit_note",)


class InvoiceDraftLineInline(ReadOnlyInline):
    model = InvoiceDraftLine
    fields = ("position", "article", "quantity_fmt", "unit_price_fmt", "discount_rate")


@admin.register(InvoiceDraft)
class InvoiceDraftAdmin(ReadOnlyAdmin):
    """Baskets being rung up at a till: local and transient, shown for support only."""

    inlines = (InvoiceDraftLineInline,)
    list_display = ("id", "till", "cashier", "customer", "created_at")
    list_filter = ("till",)
    list_select_related = ("till", "customer")


@admin.register(InvoiceDraftLine)
class InvoiceDraftLineAdmin(ReadOnlyAdmin):
    list_display = ("draft", "position", "article", "quantity_fmt", "unit_price_fmt")
    list_select_related = ("draft", "article")


InvoiceAdmin.search_help_text = _("Numéro, client, code article.")
