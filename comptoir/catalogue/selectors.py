"""Reads of the catalogue: one article or supplier by code or id, category and supplier lists,
and what a scale's label sells.

Articles with their stock are read in ``stock.selectors`` (stock sits above the catalogue)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
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
from django.utils.translation import gettext as _

from comptoir.catalogue import labels
from comptoir.catalogue.labels import LabelRead
from comptoir.catalogue.models import Article, Barcode, Category, LabelRule, Supplier
from comptoir.lib.errors import NotFoundError
from comptoir.stores.models import Store
from comptoir.stores.selectors import code_twins

# Natural keys (article, barcode and supplier codes) are unique per post, not in the
# database: two tills may create the same code while offline (see ``Article``). A lookup by
# code takes the active twin first, then the oldest (UUIDv7 ids are time-ordered), so
# that every post picks the same row and archiving either twin settles the matter.
TWIN_ORDER = ("archived", "id")


def supplier_get(*, code: str | None = None, pk: UUID | None = None) -> Supplier:
    """The supplier ``pk`` (what a screen that lists twins picks), else one by code: of
    twins, the active one first, then the oldest."""
    if pk is not None:
        supplier = Supplier.objects.filter(pk=pk).first()
    else:
        supplier = Supplier.objects.filter(code=_required(code)).order_by(*TWIN_ORDER).first()
    if supplier is None:
        raise NotFoundError(_("Fournisseur inconnu : « %(code)s ».") % {"code": code or pk})
    return supplier


def supplier_ref(ref: str | UUID) -> Supplier:
    """The supplier a service argument names: an id (a screen that lists twins) or a
    code, as :func:`supplier_get` picks it (the CLI)."""
    return supplier_get(pk=ref) if isinstance(ref, UUID) else supplier_get(code=ref)


def article_get(*, code: str | None = None, pk: UUID | None = None) -> Article:
    """The article ``pk`` (what a screen that lists twins picks), else one by its code or
    one of its barcodes (what a scanner types).

    Of twins, the active one first, then the oldest; a barcode shared by twins picks its
    article by the same rule, so that a code and a barcode typed alike give one article.
    """
    if pk is not None:
        found = Article.objects.filter(pk=pk).first()
        if found is None:
            raise NotFoundError(_("Article inconnu : « %(code)s ».") % {"code": pk})
        return found
    code = _required(code)
    article = Article.objects.filter(code=code).order_by(*TWIN_ORDER).first()
    if article is None:
        barcode = (
            Barcode.objects.select_related("article")
            .filter(code=code, archived=False)
            .order_by("article__archived", "article_id", "id")
            .first()
        )
        article = barcode.article if barcode else None
    if article is None:
        raise NotFoundError(_("Article inconnu : « %(code)s ».") % {"code": code})
    return article


def _required(code: str | None) -> str:
    if code is None:
        raise TypeError("give the row's pk or its code")
    return code


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
            | Q(pk__in=Barcode.objects.filter(code=text, archived=False).values("article_id"))
        )
    return qs


def article_twins(*, articles: Iterable[Article]) -> set[UUID]:
    """The ids of the given active articles whose code or a barcode is also another active
    article's code or barcode: twins created on two tills while offline (codes are unique
    per post, not in the database). Archiving one of them settles it."""
    own: dict[UUID, set[str]] = {a.pk: {a.code} for a in articles if not a.archived}
    for article_id, code in Barcode.objects.filter(article_id__in=own, archived=False).values_list(
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
        article__archived=False, archived=False, code__in=keys
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


def label_rule_list(*, store: Store, include_archived: bool = False) -> QuerySet[LabelRule]:
    """The store's label rules, by prefix."""
    qs = LabelRule.objects.filter(store=store).order_by("prefix", "id")
    return qs if include_archived else qs.filter(archived=False)


@dataclass(frozen=True)
class LabelSale:
    """What a scanned label sells: an article and a quantity in its unit."""

    article: Article
    quantity: Decimal
    label: LabelRead


def label_resolve(*, code: str, store: Store) -> LabelSale | None:
    """What the scale label ``code`` sells in ``store``, or ``None`` when ``code`` is not
    one of its labels (another code, left to :func:`article_get`).

    An article code or barcode typed exactly wins over the rules: a store that registered
    a code of the in-store range as an article's barcode meant that article. A label with
    a wrong check digit, an unknown article code, or a value that does not fit the article
    (a weight for an article not sold by the kilogram) is refused with its reason.
    """
    code = code.strip()
    if len(code) != labels.LENGTH or not code.startswith(labels.IN_STORE_FIRST_DIGIT):
        return None
    rule = labels.label_rule_for(code, (r.layout() for r in label_rule_list(store=store)))
    if rule is None:
        return None
    if Article.objects.filter(code=code).exists() or Barcode.objects.filter(code=code).exists():
        return None
    read = labels.label_read(code, rule)
    article = _label_article(read)
    quantity = labels.label_quantity(
        read,
        article=article.code,
        unit=article.unit,
        unit_price=article.sale_price,
        currency=store.currency,
    )
    return LabelSale(article=article, quantity=quantity, label=read)


def _label_article(read: labels.LabelRead) -> Article:
    """The article a label names: its code as printed (« 00123 »), else without the
    leading zeros that the scale pads it with (« 123 »); of twins, as ``article_get``."""
    codes = list(dict.fromkeys([read.article_code, read.article_code.lstrip("0") or "0"]))
    for code in codes:
        article = Article.objects.filter(code=code).order_by(*TWIN_ORDER).first()
        if article is not None:
            return article
    raise NotFoundError(
        _(
            "Étiquette « %(label)s » : aucun article n'a le code « %(code)s » "
            "(règle d'étiquette %(prefix)s)."
        )
        % {"label": read.code, "code": codes[-1], "prefix": read.rule.prefix}
    )
