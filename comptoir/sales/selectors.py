"""Reads of sales: invoice lists and details, and the total a basket would come to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from comptoir.catalogue.services import article_get
from comptoir.core.errors import NotFoundError
from comptoir.core.quantity import parse_quantity
from comptoir.core.selectors import till_current
from comptoir.sales.calculations import LineInput, document_totals
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import SaleLine, discount_parse


def sale_total(*, lines: Sequence[SaleLine]) -> tuple[int, str]:
    """What ``invoice_sell(lines=...)`` would charge at this till now: (minor units, currency).

    Uses the same article lookup, quantity and discount rules and the same arithmetic as
    the sale; the sale itself re-reads the prices inside its own transaction.
    """
    inputs = []
    for line in lines:
        article = article_get(code=line.article)
        inputs.append(
            LineInput(
                unit_price=article.sale_price,
                quantity=parse_quantity(line.quantity, unit=article.unit),
                vat_rate=article.vat_rate,
                discount_rate=discount_parse(line.discount_rate),
            )
        )
    return document_totals(inputs).total_incl_tax, till_current().store.currency


def invoice_list(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    till_prefix: str | None = None,
    limit: int | None = None,
) -> QuerySet[Invoice]:
    """Invoices, newest first; dates are business days (local), both ends included."""
    qs = (
        Invoice.objects.select_related("till", "customer")
        .annotate(credit_note_count=Count("credit_notes"))
        .order_by("-validated_at", "-number")
    )
    if date_from:
        qs = qs.filter(business_date__gte=date_from)
    if date_to:
        qs = qs.filter(business_date__lte=date_to)
    if till_prefix:
        qs = qs.filter(till__prefix__istartswith=till_prefix.strip())
    return qs[:limit] if limit else qs


def invoice_detail(*, number: str) -> Invoice:
    """An invoice with its lines, taxes, payments and credit notes prefetched."""
    invoice = (
        Invoice.objects.select_related("till", "store", "customer")
        .prefetch_related("lines", "taxes", "payments", "credit_notes")
        .filter(number=number.strip())
        .first()
    )
    if invoice is None:
        raise NotFoundError(_("Facture inconnue : « %(number)s ».") % {"number": number})
    return invoice


def credit_note_detail(*, pk: object) -> CreditNote:
    return (
        CreditNote.objects.select_related("invoice", "till")
        .prefetch_related("lines__invoice_line", "taxes")
        .get(pk=pk)
    )
