"""What a cashier looks up: their own sales of the day (to reprint), and stock levels."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from comptoir.pos.guards import is_fetch, till_required
from comptoir.pos.selectors import credit_note_day_list, invoice_day_list, stock_level_map
from comptoir.printing.selectors import printer_get
from comptoir.sales.selectors import payments_named
from comptoir.stock.selectors import article_list
from comptoir.stores.models import Till
from comptoir.web.roles import MANAGER, cashier_required, role_of
from comptoir.web.scope import stores_visible

STOCK_LIMIT = 30


@require_GET
@till_required
def my_sales(request: HttpRequest, *, till: Till) -> HttpResponse:
    """A cashier's sales and returns of the day at this till; a manager sees everyone's."""
    cashier = None if role_of(request.user) == MANAGER else request.user.get_username()
    today = timezone.localdate()
    invoices = list(invoice_day_list(till=till, day=today, cashier=cashier))
    payments_named(invoices)
    return render(
        request,
        "pos/my_sales.html",
        {
            "invoices": invoices,
            "credit_notes": credit_note_day_list(till=till, day=today, cashier=cashier),
            "total": sum(invoice.total_incl_tax for invoice in invoices),
            "everyone": cashier is None,
            "today": today,
            "currency": till.store.currency,
            "printer": printer_get(till=till),
        },
    )


@require_GET
@cashier_required
def stock_lookup(request: HttpRequest) -> HttpResponse:
    """Search an article (code, name or barcode) and see its level in every store the
    account sees."""
    text = request.GET.get("q", "").strip()[:200]
    articles = list(article_list(search=text, limit=STOCK_LIMIT)) if text else []
    levels = stock_level_map(articles=articles, store_ids=stores_visible(request.user).ids)
    context = {
        "query": text,
        "rows": [(article, levels.get(article.pk, [])) for article in articles],
        "searched": bool(text),
    }
    template = "pos/_stock_results.html" if is_fetch(request) else "pos/stock_lookup.html"
    return render(request, template, context)
