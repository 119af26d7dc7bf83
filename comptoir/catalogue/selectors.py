"""Reads of the catalogue: article, category and supplier lists.

Articles with their stock are read in ``stock.selectors`` (stock sits above the catalogue)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from comptoir.catalogue.models import Article, Barcode, Category, Supplier
from comptoir.stores.selectors import code_twins


def supplier_list(
    *, search: str | None = None, include_archived: bool = False, limit: int | None = None
) -> QuerySet[Supplier]:
    qs = Supplier.objects.order_by("code", "id")
    if not include_archived:
        qs = qs.filter(archived=False)
    if search:
        text = search.strip()
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return qs[:limit] if limit else qs


def article_filter(
    qs: QuerySet[Article],
    *,
    search: str | None,
    category_id: UUID | None,
    supplier_id: UUID | None,
    archived: bool | None,
) -> QuerySet[Article]:
    if archived is not None:
        qs = qs.filter(archived=archived)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if supplier_id:
        qs = qs.filter(supplier_id=supplier_id)
    if search and search.strip():
        text = search.strip()
        qs = qs.filter(
            Q(code__icontains=text)
            | Q(name__icontains=text)
            | Q(pk__in=Barcode.objects.filter(code=text).values("article_id"))
        )
    return qs


def article_twins(*, articles: Iterable[Article]) -> set[UUID]:
    """The ids of the given active articles whose code or a barcode is also another active
    article's code or barcode: twins created on two tills while offline (codes are unique
    per post, not in the database). Archiving one of them settles it."""
    own: dict[UUID, set[str]] = {a.pk: {a.code} for a in articles if not a.archived}
    for article_id, code in Barcode.objects.filter(article_id__in=own).values_list(
        "article_id", "code"
    ):
        own[article_id].add(code)
    keys = set().union(*own.values())
    holders: dict[str, set[UUID]] = {}
    for article_id, code in Article.objects.filter(archived=False, code__in=keys).values_list(
        "id", "code"
    ):
        holders.setdefault(code, set()).add(article_id)
    for article_id, code in Barcode.objects.filter(
        article__archived=False, code__in=keys
    ).values_list("article_id", "code"):
        holders.setdefault(code, set()).add(article_id)
    return {pk for pk, codes in own.items() if any(holders.get(c, set()) - {pk} for c in codes)}


def supplier_twins(*, suppliers: Iterable[Supplier]) -> set[UUID]:
    """The ids of the given active suppliers whose code is also another active supplier's
    (see :func:`article_twins`). Archiving one of them settles it."""
    return code_twins(Supplier, suppliers)


def category_list(
    *, search: str | None = None, include_archived: bool = True
) -> QuerySet[Category]:
    """Categories by name, each with ``article_count`` (active articles)."""
    articles = (
        Article.objects.filter(category=OuterRef("pk"), archived=False)
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = Category.objects.annotate(
        article_count=Coalesce(Subquery(articles, output_field=IntegerField()), Value(0))
    ).order_by("name")
    if not include_archived:
        qs = qs.filter(archived=False)
    if search and search.strip():
        qs = qs.filter(name__icontains=search.strip())
    return qs
