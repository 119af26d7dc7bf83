"""Reads of the catalogue: article and supplier lists."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from comptoir.catalogue.models import Article, Barcode, Supplier
from comptoir.core.fields import QuantityField
from comptoir.stock.models import StockLevel


def article_list(
    *, search: str | None = None, include_archived: bool = False, limit: int | None = None
) -> QuerySet[Article]:
    """Articles by code, with ``stock_total`` (summed over stores) and barcodes prefetched.

    ``search`` matches a part of the code or name, or a whole barcode.
    """
    stock = (
        StockLevel.objects.filter(article=OuterRef("pk"))
        .values("article")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    qs = (
        Article.objects.select_related("category", "supplier")
        .prefetch_related("barcodes")
        .annotate(stock_total=Subquery(stock, output_field=QuantityField()))
        .order_by("code")
    )
    if not include_archived:
        qs = qs.filter(archived=False)
    if search:
        text = search.strip()
        qs = qs.filter(
            Q(code__icontains=text)
            | Q(name__icontains=text)
            | Q(pk__in=Barcode.objects.filter(code=text).values("article_id"))
        )
    return qs[:limit] if limit else qs


def supplier_list(
    *, search: str | None = None, include_archived: bool = False, limit: int | None = None
) -> QuerySet[Supplier]:
    qs = Supplier.objects.order_by("code")
    if not include_archived:
        qs = qs.filter(archived=False)
    if search:
        text = search.strip()
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return qs[:limit] if limit else qs
