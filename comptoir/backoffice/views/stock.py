"""Stock: levels (cashiers read them), supplier receipts, inventory sheets, history.

Each page keeps to the stores the account sees (``comptoir.web.scope``): their levels,
their ledgers, and receipts and counts into them only.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from comptoir.backoffice.forms import CountSheetForm, ReceiptHeadForm
from comptoir.backoffice.views.common import call_service, paginate
from comptoir.catalogue.models import Article
from comptoir.catalogue.selectors import article_twins
from comptoir.lib.errors import NotFoundError
from comptoir.stock.models import MovementKind, StockLevel
from comptoir.stock.selectors import COUNT_KIND, article_browse, stock_history
from comptoir.stock.services import stock_count_many, stock_receive_many
from comptoir.stores.models import Store
from comptoir.stores.selectors import store_current
from comptoir.web.roles import cashier_required, manager_required
from comptoir.web.scope import StoreScope, stores_visible

RECEIPT_ROWS = 8  # empty lines offered on a new receipt (more with « Ajouter une ligne »)
SHEET_MAX = 300  # articles on one count sheet: narrow with a category or a search


def _default_store(scope: StoreScope) -> str:
    try:
        current = store_current()
    except NotFoundError:  # a hub without a till of its own
        current = None
    if current is not None and scope.allows(current.pk):
        return current.name
    first = scope.stores().first()
    return first.name if first else ""


@cashier_required
def stock_index(request: HttpRequest) -> HttpResponse:
    """Levels per article and store, by article code; search and store filters."""
    scope = stores_visible(request.user)
    qs = scope.restrict(
        StockLevel.objects.select_related("article", "store").order_by(
            "article__code", "store__name"
        )
    )
    search = (request.GET.get("q") or "").strip()
    if search:
        qs = qs.filter(article__in=article_browse(search=search, archived=None).values("pk"))
    store = request.GET.get("store")
    stores = scope.stores().values_list("name", flat=True)  # names only: a chain has 2,000
    if store:
        qs = qs.filter(store__name=store)
    return render(
        request,
        "backoffice/stock_index.html",
        {"page": paginate(request, qs), "stores": stores, "filters": request.GET},
    )


def _receipt_lines(request: HttpRequest) -> list[tuple[str, str]]:
    codes = request.POST.getlist("article")
    quantities = request.POST.getlist("quantity")
    return [
        (code.strip(), qty.strip())
        for code, qty in zip(codes, quantities, strict=False)
        if code.strip() or qty.strip()
    ]


@manager_required
def stock_receipt(request: HttpRequest) -> HttpResponse:
    """A delivery from a supplier: several (article, quantity) lines, all or none."""
    scope = stores_visible(request.user)
    form = ReceiptHeadForm(
        request.POST or None, initial={"store": _default_store(scope)}, stores=scope.stores()
    )
    lines: list[tuple[str, str]] = []
    if request.method == "POST":
        lines = _receipt_lines(request)
        if form.is_valid():
            data = form.cleaned_data
            done = call_service(
                form,
                lambda: stock_receive_many(
                    lines=lines,
                    supplier=data["supplier"] or None,
                    store=data["store"],
                    note=data["note"],
                ),
            )
            if done is not None:
                messages.success(
                    request,
                    ngettext(
                        "Réception enregistrée : %(n)d ligne.",
                        "Réception enregistrée : %(n)d lignes.",
                        len(done),
                    )
                    % {"n": len(done)},
                )
                return redirect("backoffice:stock")
    padding = max(RECEIPT_ROWS - len(lines), 2)
    rows = [*lines, *([("", "")] * padding)]
    return render(request, "backoffice/stock_receipt.html", {"form": form, "rows": rows})


@require_GET
@manager_required
def stock_receipt_line(request: HttpRequest) -> HttpResponse:
    """One more empty receipt line (htmx appends it)."""
    try:
        number = max(1, int(request.GET.get("n", "1")))
    except ValueError:
        number = 1
    return render(
        request, "backoffice/_receipt_line.html", {"number": number, "code": "", "qty": ""}
    )


@manager_required
def stock_count_sheet(request: HttpRequest) -> HttpResponse:
    """An inventory sheet: the articles of a store/category, with their counted quantities.

    Blank cells are not counted (their level stays); every filled cell becomes one count,
    all at one instant, all or none. Rows are keyed by article id, not code: twin articles
    (one code, created on two offline tills) each get their own line and count.
    """
    source = request.POST if request.method == "POST" else request.GET
    scope = stores_visible(request.user)
    form = CountSheetForm(
        source or None, initial={"store": _default_store(scope)}, stores=scope.stores()
    )
    articles: list[tuple[Article, Decimal, str]] = []
    twins: set[UUID] = set()
    truncated = False
    if form.is_valid():
        data = form.cleaned_data
        store = Store.objects.get(name=data["store"])
        qs = article_browse(
            search=data["search"],
            category_id=data["category"].pk if data["category"] else None,
        )
        found = list(qs[: SHEET_MAX + 1])
        truncated = len(found) > SHEET_MAX
        found = found[:SHEET_MAX]
        levels = dict(
            StockLevel.objects.filter(store=store, article__in=found).values_list(
                "article_id", "quantity"
            )
        )
        entered = (
            dict(
                zip(request.POST.getlist("article"), request.POST.getlist("counted"), strict=False)
            )
            if request.method == "POST"
            else {}
        )
        twins = article_twins(articles=found)
        articles = [(a, levels.get(a.pk, Decimal(0)), entered.get(str(a.pk), "")) for a in found]
        if request.method == "POST":
            counts = [(a.pk, text.strip()) for a, _level, text in articles if text.strip()]
            done = call_service(
                form,
                lambda: stock_count_many(
                    counts=counts, store=store.name, note=_("Inventaire (gestion)")
                ),
            )
            if done is not None:
                messages.success(
                    request,
                    ngettext(
                        "Inventaire enregistré : %(n)d article compté.",
                        "Inventaire enregistré : %(n)d articles comptés.",
                        len(done),
                    )
                    % {"n": len(done)},
                )
                return redirect("backoffice:stock")
    return render(
        request,
        "backoffice/stock_count.html",
        {
            "form": form,
            "articles": articles,
            "twins": twins,
            "truncated": truncated,
            "max": SHEET_MAX,
        },
    )


@cashier_required
def stock_article_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    """An article's ledger in one store, each fact with the level right after it."""
    article = get_object_or_404(Article, pk=pk)
    scope = stores_visible(request.user)
    stores = list(scope.stores())
    chosen = request.GET.get("store") or _default_store(scope)
    store = next((s for s in stores if s.name == chosen), stores[0] if stores else None)
    entries = stock_history(article_id=article.pk, store_id=store.pk) if store else []
    kinds = {**dict(MovementKind.choices), COUNT_KIND: _("inventaire")}
    return render(
        request,
        "backoffice/stock_history.html",
        {
            "article": article,
            "stores": stores,
            "store": store,
            "entries": [(e, kinds.get(e.kind, e.kind)) for e in reversed(entries)],
        },
    )
