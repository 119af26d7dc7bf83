"""Cash sessions for managers (on a till and on the hub): each session with its float,
expected, counted and difference, filtered by period, post and cashier; the over and short
of each cashier over the period; and each closed session's Z, printable on 80 mm or A4.

Everything keeps to the stores the account sees (``comptoir.web.scope``): another store's
session is a 404, like an id that does not exist, and its post is not offered as a filter.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from comptoir.cash.selectors import (
    report_z,
    session_balances,
    session_cashiers,
    session_find,
    session_search,
)
from comptoir.dashboard.forms import till_menu
from comptoir.lib.errors import NotFoundError
from comptoir.sales.selectors import payment_method_names
from comptoir.stores.models import Till
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible

PAGE_SIZE = 50
DEFAULT_DAYS = 30  # the period shown when the query string names none


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _period(request: HttpRequest) -> tuple[date | None, date | None]:
    """The period asked for; by default the last 30 days (an emptied field: no bound)."""
    if "from" not in request.GET and "to" not in request.GET:
        today = timezone.localdate()
        return today - timedelta(days=DEFAULT_DAYS), today
    return _day(request.GET.get("from")), _day(request.GET.get("to"))


@require_GET
@manager_required
def session_list_view(request: HttpRequest) -> HttpResponse:
    scope = stores_visible(request.user)
    start, end = _period(request)
    tills = scope.restrict(Till.objects.select_related("store").order_by("prefix"), "store")
    till = tills.filter(prefix=request.GET.get("till", "").strip().upper()).first()
    cashiers = session_cashiers(store_ids=scope.ids)
    cashier = request.GET.get("cashier", "")
    if cashier not in cashiers:
        cashier = ""
    sessions = session_search(
        store_ids=scope.ids, date_from=start, date_to=end, till=till, cashier=cashier
    )
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboard/session_list.html",
        {
            "page": page,
            "balances": session_balances(sessions=sessions),
            "tills": till_menu(tills),
            "till": till,
            "cashiers": cashiers,
            "cashier": cashier,
            "start": start,
            "end": end,
            "query": query.urlencode(),
        },
    )


def _methods(data: dict[str, int]) -> list[tuple[str, int]]:
    labels = payment_method_names()
    return [(labels.get(m, m), amount) for m, amount in data.items()]


@require_GET
@manager_required
def session_z_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    """A closed session's Z as kept at its close; ``?print=a4`` for A4 paper (80 mm by
    default)."""
    try:
        session = session_find(pk=pk, store_ids=stores_visible(request.user).ids)
        data = report_z(session=session).as_data()
    except NotFoundError as error:
        raise Http404(error.message) from None
    context: dict[str, Any] = {
        "till": session.till,
        "session": session,
        "closing": session.closing,
        "report": data,
        "currency": session.currency,
        "payments": _methods(data["payments"]),
        "refunds": _methods(data["refunds"]),
        "paper": "print-a4" if request.GET.get("print") == "a4" else "print-ticket",
    }
    return render(request, "dashboard/session_z.html", context)
