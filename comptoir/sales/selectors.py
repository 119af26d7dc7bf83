"""Reads of sales: invoice lists and details, and the total a basket would come to."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from comptoir.catalogue.selectors import article_get
from comptoir.customers.models import Customer
from comptoir.lib.errors import NotFoundError
from comptoir.lib.quantity import parse_quantity
from comptoir.sales.calculations import (
    LineInput,
    SaleLine,
    basket_discount_parse,
    discount_parse,
    document_totals,
)
from comptoir.sales.models import CreditNote, Invoice, InvoiceDraft
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current


def sale_total(*, lines: Sequence[SaleLine], discount: str = "") -> tuple[int, str]:
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
    currency = till_current().store.currency
    basket = basket_discount_parse(discount, currency) if discount else None
    return document_totals(inputs, basket).total_incl_tax, currency


def draft_parked_list(*, till: Till) -> list[InvoiceDraft]:
    """The baskets on hold at ``till``, oldest first, with their lines and articles."""
    return list(
        InvoiceDraft.objects.filter(till=till, parked_at__isnull=False)
        .select_related("customer")
        .prefetch_related("lines__article")
        .order_by("parked_at", "pk")
    )


def invoice_get(*, number: str) -> Invoice:
    try:
        return Invoice.objects.select_related("till", "store").get(number=number)
    except Invoice.DoesNotExist:
        raise NotFoundError(_("Facture inconnue : « %(number)s ».") % {"number": number}) from None


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


def in_stores(qs: QuerySet[Any], store_ids: Collection[UUID] | None) -> QuerySet[Any]:
    """Documents of the given stores only (None: every store)."""
    return qs if store_ids is None else qs.filter(store_id__in=store_ids)


def invoice_detail(*, number: str, store_ids: Collection[UUID] | None = None) -> Invoice:
    """An invoice with its lines, taxes, payments and credit notes prefetched.

    ``store_ids`` (None: every store): an invoice of another store is not found, with the
    same message as a number that does not exist.
    """
    qs = Invoice.objects.select_related("till", "store", "customer").prefetch_related(
        "lines", "taxes", "payments", "credit_notes"
    )
    invoice = in_stores(qs, store_ids).filter(number=number.strip()).first()
    if invoice is None:
        raise NotFoundError(_("Facture inconnue : « %(number)s ».") % {"number": number})
    return invoice


def credit_note_detail(*, pk: object, store_ids: Collection[UUID] | None = None) -> CreditNote:
    """A credit note with its lines and taxes; ``CreditNote.DoesNotExist`` when it is
    not one of ``store_ids``' (None: every store)."""
    qs = CreditNote.objects.select_related("invoice", "till").prefetch_related(
        "lines__invoice_line", "taxes"
    )
    return in_stores(qs, store_ids).get(pk=pk)


# The end of a whole document number: year and six-digit counter (``C1-2026-000123``).
WHOLE_NUMBER = re.compile(r"-\d{4}-\d{6}$")


def _document_filters(
    qs: QuerySet[Any],
    *,
    date_from: date | None,
    date_to: date | None,
    till_id: object | None,
    number: str | None,
) -> QuerySet[Any]:
    if date_from:
        qs = qs.filter(business_date__gte=date_from)
    if date_to:
        qs = qs.filter(business_date__lte=date_to)
    if till_id:
        qs = qs.filter(till_id=till_id)
    if number and number.strip():
        text = number.strip().upper()
        # A whole number is found through its unique index; a part of one by a scan.
        qs = (
            qs.filter(number=text)
            if WHOLE_NUMBER.search(text)
            else qs.filter(number__contains=text)
        )
    return qs


def invoice_search(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    till_id: object | None = None,
    customer: str | None = None,
    number: str | None = None,
    store_ids: Collection[UUID] | None = None,
) -> QuerySet[Invoice]:
    """Invoices newest first on (``validated_at``, ``number``), for keyset-paged lists: no
    aggregate, so that a page stays cheap on 200,000 invoices (see :func:`invoice_list`
    for the CLI's list with counts).

    ``customer`` matches a part of a customer's name or a whole customer code: the
    customers are looked up first (a small table), then their invoices through the
    (``customer``, ``validated_at``) index, where matching the name printed on each
    invoice scanned them all. A customer renamed since is found under the new name.
    ``store_ids`` (None: every store) keeps the invoices of those stores.
    """
    qs: QuerySet[Invoice] = in_stores(
        Invoice.objects.select_related("till", "customer"), store_ids
    ).order_by("-validated_at", "-number")
    qs = _document_filters(qs, date_from=date_from, date_to=date_to, till_id=till_id, number=number)
    if customer and customer.strip():
        qs = qs.filter(customer_id__in=_customer_ids(customer.strip()))
    return qs


# Above this many matching customers, the invoices are filtered by a subquery: a long
# literal list gains nothing when most invoices match, and SQLite caps bound parameters.
CUSTOMER_IDS_MAX = 500


def _customer_ids(text: str) -> list[object] | QuerySet[Customer]:
    matching = Customer.objects.filter(Q(name__icontains=text) | Q(code=text)).values_list(
        "pk", flat=True
    )
    ids = list(matching.order_by()[: CUSTOMER_IDS_MAX + 1])
    return ids if len(ids) <= CUSTOMER_IDS_MAX else matching


def credit_note_search(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    till_id: object | None = None,
    number: str | None = None,
    store_ids: Collection[UUID] | None = None,
) -> QuerySet[CreditNote]:
    """Credit notes newest first, with their invoice, for paged lists (of ``store_ids``,
    None: every store)."""
    qs = in_stores(CreditNote.objects.select_related("till", "invoice"), store_ids).order_by(
        "-issued_at", "-number"
    )
    return _document_filters(
        qs, date_from=date_from, date_to=date_to, till_id=till_id, number=number
    )
