"""Articles: the list with stock per store (cashiers read it too), create, edit, archive.

Articles are shared by every store; the stock columns and the low-stock test keep to the
stores the account sees (``comptoir.web.scope``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comptoir.backoffice.forms import ArticleForm, supplier_choices
from comptoir.backoffice.views.common import PER_PAGE, call_service
from comptoir.catalogue.models import Article, Category
from comptoir.catalogue.selectors import article_twins
from comptoir.catalogue.services import article_create, article_update
from comptoir.stock.models import StockLevel
from comptoir.stock.selectors import article_browse, article_browse_count
from comptoir.web.roles import cashier_required, manager_required
from comptoir.web.scope import stores_visible

#: Stores shown as stock columns of the article list; past it, one column of their total.
STORE_COLUMNS = 8


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


class _CountedPaginator(Paginator):
    """A paginator told its count, for lists whose count is cheaper as another query."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count


@cashier_required
def article_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    scope = stores_visible(request.user)
    criteria: dict[str, Any] = {
        "search": get.get("q"),
        "category_id": _uuid(get.get("category")),
        "supplier_id": _uuid(get.get("supplier")),
        "archived": {"1": True, "all": None}.get(get.get("archived", ""), False),
        "low_stock": get.get("low") == "1",
        "store_ids": scope.ids,
    }
    page = _CountedPaginator(
        article_browse(**criteria), PER_PAGE, count=article_browse_count(**criteria)
    ).get_page(get.get("page"))
    # A column per store up to STORE_COLUMNS stores; a chain's hub shows the total (its
    # stores' levels are on the stock page, store by store).
    stores = list(scope.stores()[: STORE_COLUMNS + 1])
    chain = len(stores) > STORE_COLUMNS
    page_levels = scope.restrict(StockLevel.objects.filter(article_id__in=[a.pk for a in page]))
    levels: dict[UUID, dict[Any, Decimal]] = defaultdict(dict)
    if chain:
        stores = []
        for article_id, total in (
            page_levels.order_by()
            .values("article_id")
            .annotate(total=Sum("quantity"))
            .values_list("article_id", "total")
        ):
            levels[article_id]["total"] = total
    else:
        for article_id, store_id, qty in page_levels.values_list(
            "article_id", "store_id", "quantity"
        ):
            levels[article_id][store_id] = qty
    twins = article_twins(articles=page)
    rows = []
    for article in page:
        per_store = levels[article.pk]
        # Low stock: the total over the stores seen (archived ones too) at or below the
        # threshold.
        total = sum(per_store.values(), Decimal(0))
        article.is_low = total <= article.alert_threshold
        article.is_twin = article.pk in twins
        shown = [total] if chain else [per_store.get(store.pk, Decimal(0)) for store in stores]
        rows.append((article, shown))
    return render(
        request,
        "backoffice/article_list.html",
        {
            "page": page,
            "rows": rows,
            "stores": stores,
            "stock_total": chain,
            "columns": 8 if chain else len(stores) + 7,
            "categories": Category.objects.filter(archived=False).order_by("name"),
            "suppliers": supplier_choices(None),
            "filters": get,
        },
    )


def _form_context(form: ArticleForm, article: Article | None = None) -> dict[str, Any]:
    return {
        "form": form,
        "article": article,
        "barcodes": article.barcodes.filter(archived=False).order_by("code") if article else (),
    }


# The form's fields that are the article's own (the others say what to do with barcodes
# and categories).
_EDITABLE = (
    "name",
    "sale_price",
    "vat_rate",
    "cost",
    "unit",
    "alert_threshold",
    "category",
    "supplier",
)


def _create_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": data["code"],
        "name": data["name"],
        "sale_price": data["sale_price"],
        "vat_rate": data["vat_rate"],
        "cost": data["cost"] or "0",
        "unit": data["unit"],
        "alert_threshold": data["alert_threshold"] or "0",
        "category": data["category"] or None,
        "supplier": data["supplier"] or None,
        "barcodes": data["barcodes"].split(),
    }


@manager_required
def article_create_view(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        article = call_service(form, lambda: article_create(**_create_kwargs(data)))
        if article is not None:
            messages.success(request, _("Article %(code)s créé.") % {"code": article.code})
            # Its page: what was saved, and where the next change to it is made.
            return redirect("backoffice:article_edit", pk=article.pk)
    return render(request, "backoffice/article_form.html", _form_context(form))


@manager_required
def article_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("category", "supplier"), pk=pk)
    form = ArticleForm(
        request.POST or None, initial=ArticleForm.initial_for(article), article=article
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Only what the manager changed: each field edit is clocked for the per-field
        # merge, and re-sending an unchanged field would win over a newer edit elsewhere.
        changes: dict[str, Any] = {
            name: data[name] for name in form.changed_data if name in _EDITABLE
        }
        if data["barcodes"].split():
            changes["add_barcodes"] = data["barcodes"].split()
        if data.get("remove_barcodes"):
            changes["remove_barcodes"] = data["remove_barcodes"]
        if changes:
            updated = call_service(form, lambda: article_update(pk=article.pk, **changes))
            if updated is None:
                return render(request, "backoffice/article_form.html", _form_context(form, article))
        messages.success(request, _("Article %(code)s enregistré.") % {"code": article.code})
        return redirect("backoffice:articles")
    return render(request, "backoffice/article_form.html", _form_context(form, article))


@require_POST
@manager_required
def article_archive(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Archive (or, with ``restore``, bring back) an article: a synced field, never a delete."""
    article = get_object_or_404(Article, pk=pk)
    restore = request.POST.get("restore") == "1"
    article_update(pk=article.pk, archived=not restore)
    text = (_("Article %(code)s réactivé.") if restore else _("Article %(code)s archivé.")) % {
        "code": article.code
    }
    messages.success(request, text)
    return redirect("backoffice:article_edit", pk=article.pk)
