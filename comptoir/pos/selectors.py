"""Reads of the till screen: the day's sales of a cashier, returnable quantities, stock."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet, Sum

from comptoir.catalogue.models import Article
from comptoir.sales.models import CreditNote, CreditNoteLine, Invoice
from comptoir.stock.models import StockLevel
from comptoir.stores.models import Till


def invoice_number_typed(*, typed: str) -> str | None:
    """The number of the invoice someone typed or scanned, or None when there is none.

    Numbers are ``prefix-year-counter`` (letters, digits and dashes only); a number read
    off a receipt may be typed with slashes or spaces instead of dashes, and in lower case.
    """
    wanted = {typed.strip(), re.sub(r"[\s/]+", "-", typed.strip()).upper()}
    return Invoice.objects.filter(number__in=wanted).values_list("number", flat=True).first()


def invoice_day_list(*, till: Till, day: date, cashier: str | None) -> QuerySet[Invoice]:
    """The invoices of ``day`` at ``till``, newest first; ``cashier=None``: everyone's."""
    qs = (
        Invoice.objects.filter(till=till, business_date=day)
        .prefetch_related("payments")
        .order_by("-validated_at", "-number")
    )
    return qs if cashier is None else qs.filter(cashier=cashier)


def credit_note_day_list(*, till: Till, day: date, cashier: str | None) -> QuerySet[CreditNote]:
    qs = (
        CreditNote.objects.filter(till=till, business_date=day)
        .select_related("invoice")
        .order_by("-issued_at", "-number")
    )
    return qs if cashier is None else qs.filter(cashier=cashier)


def invoice_line_returned_map(*, invoice: Invoice) -> dict[UUID, Decimal]:
    """Per invoice line id: the quantity that earlier credit notes took back."""
    return {
        row["invoice_line"]: row["qty"]
        for row in CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .values("invoice_line")
        .annotate(qty=Sum("quantity"))
    }


@dataclass(frozen=True)
class StoreLevel:
    store: str
    quantity: Decimal
    below_alert: bool


def stock_level_map(
    *, articles: Iterable[Article], store_ids: Collection[UUID] | None = None
) -> dict[UUID, list[StoreLevel]]:
    """Per article id: its stock level in every store that has one (of ``store_ids``;
    None: every store), by store name."""
    by_id = {a.pk: a for a in articles}
    levels: dict[UUID, list[StoreLevel]] = defaultdict(list)
    rows = (
        StockLevel.objects.filter(article_id__in=by_id)
        .select_related("store")
        .order_by("store__name")
    )
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    for level in rows:
        threshold = by_id[level.article_id].alert_threshold
        levels[level.article_id].append(
            StoreLevel(
                store=level.store.name,
                quantity=level.quantity,
                below_alert=bool(threshold) and level.quantity <= threshold,
            )
        )
    return dict(levels)
