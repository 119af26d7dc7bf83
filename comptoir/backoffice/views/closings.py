"""Fiscal closings (manager): by period and till, and each one printable (A4 or 80 mm).

The same pages on a till and on the hub; the hub holds every post's closings (synced).
Lists and details keep to the stores the account sees; another store's closing is a 404.
"""

from __future__ import annotations

from uuid import UUID

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from comptoir.backoffice.views.common import till_menu
from comptoir.closings.management.output import method_labels, period_label
from comptoir.closings.models import ClosingKind
from comptoir.closings.selectors import closing_list
from comptoir.stores.models import Till
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible

PAGE_SIZE = 50


@manager_required
def closing_list_view(request: HttpRequest) -> HttpResponse:
    scope = stores_visible(request.user)
    kind = request.GET.get("kind") or ClosingKind.DAY
    if kind not in ClosingKind.values:
        kind = ClosingKind.DAY
    tills = scope.restrict(Till.objects.order_by("prefix"), "store")
    till = tills.filter(prefix=request.GET.get("till", "").strip().upper()).first()
    closings = scope.restrict(closing_list(kind=kind, till=till), "store")
    page = Paginator(closings, PAGE_SIZE).get_page(request.GET.get("page"))
    for closing in page:
        closing.period_text = period_label(closing)  # type: ignore[attr-defined]
    return render(
        request,
        "backoffice/closing_list.html",
        {
            "page": page,
            "kind": kind,
            "kinds": ClosingKind.choices,
            "tills": till_menu(tills),
            "till": till,
        },
    )


@manager_required
def closing_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    """A closing's detail; ``?print=a4`` or ``?print=80`` gives the printable page."""
    scope = stores_visible(request.user)
    closing = scope.restrict(closing_list().filter(pk=pk), "store").first()
    if closing is None:
        raise Http404(_("Clôture inconnue."))
    paper = request.GET.get("print")
    names = method_labels(closing)
    context = {
        "closing": closing,
        "period": period_label(closing),
        "kind_label": ClosingKind(closing.kind).label,
        "payments": [(names.get(m, m), a) for m, a in closing.payments.items()],
        "refunds": [(names.get(m, m), a) for m, a in closing.refunds.items()],
        "chain_hash": getattr(closing, "chain_hash", ""),
    }
    if paper in ("a4", "80"):
        return render(
            request,
            "backoffice/closing_print.html",
            {**context, "paper": "print-a4" if paper == "a4" else "print-ticket"},
        )
    return render(request, "backoffice/closing_detail.html", context)
