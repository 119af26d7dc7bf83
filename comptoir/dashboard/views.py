"""The manager's dashboard: figures, charts (server-side SVG) and their JSON.

The figures keep to the stores the account sees (``comptoir.web.scope``): a manager of
one store sees that store's, whatever the query string asks for.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from comptoir.dashboard.charts import bar_chart
from comptoir.dashboard.forms import ScopeForm
from comptoir.dashboard.selectors import Scope, dashboard_get, low_stock
from comptoir.sales.selectors import payment_method_names
from comptoir.stores.models import Store
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible
from comptoir.web.templatetags.comptoir import money


def _scope(request: HttpRequest) -> tuple[Scope, ScopeForm, Store | None]:
    """The filter from the query string, within the stores the account sees. An account
    of one store (every account on a till) gets that store by default, and still gets
    it when the query string is refused."""
    visible = stores_visible(request.user)
    if not visible.every_store and visible.only is None:
        raise PermissionDenied(_("Ce compte n'est rattaché à aucun magasin."))
    params = request.GET.copy()
    if "store" not in params and visible.only is not None:
        params["store"] = str(visible.only)
    form = ScopeForm(params, store_ids=visible.ids)
    if not form.is_valid():
        own = Store.objects.filter(pk=visible.only).first() if visible.only else None
        form.till_menu_for(own)
        return Scope(visible.only), form, own
    store, till = form.cleaned_data.get("store"), form.cleaned_data.get("till")
    form.till_menu_for(store)
    return Scope(store.pk if store else None, till.pk if till else None), form, store


def _currency(store: Store | None) -> str:
    return store.currency if store is not None else settings.COMPTOIR_CURRENCY


def _charts(data: dict[str, Any], currency: str, names: dict[str, str]) -> dict[str, Any]:
    def fmt(minor: int) -> str:
        return money(minor, currency)

    days = []
    for row in data["by_day"]:
        day = date.fromisoformat(row["day"])
        count = row["invoice_count"]
        title = _("%(day)s : %(amount)s (%(count)s)") % {
            "day": date_format(day, "l j F Y"),
            "amount": fmt(row["revenue_incl_tax"]),
            "count": ngettext("%(n)d facture", "%(n)d factures", count) % {"n": count},
        }
        days.append((date_format(day, "d/m"), row["revenue_incl_tax"], title))
    methods = [
        (
            names.get(row["method"], row["method"]),
            row["amount"],
            f"{names.get(row['method'], row['method'])} : {fmt(row['amount'])}",
        )
        for row in data["by_method"]
    ]
    return {
        "days": bar_chart(days, fmt=fmt, label_every=3),
        "methods": bar_chart(methods, fmt=fmt, width=460) if methods else None,
    }


def _context(request: HttpRequest) -> tuple[dict[str, Any], Scope, str]:
    scope, form, store = _scope(request)
    currency = _currency(store)
    data = dashboard_get(scope=scope, today=timezone.localdate())
    return {"form": form, "data": data, "currency": currency}, scope, currency


@require_GET
@manager_required
def index(request: HttpRequest) -> HttpResponse:
    context, scope, currency = _context(request)
    data = context["data"]
    periods = [
        (_("Aujourd’hui"), data["periods"]["today"]),
        (_("Cette semaine"), data["periods"]["week"]),
        (_("Ce mois-ci"), data["periods"]["month"]),
    ]
    names = payment_method_names()  # once: a page never asks per row
    methods = [
        {**row, "label": names.get(row["method"], row["method"])} for row in data["by_method"]
    ]
    context.update(
        today=date.fromisoformat(data["today"]),
        periods=periods,
        methods=methods,
        by_day=[{**row, "date": date.fromisoformat(row["day"])} for row in data["by_day"]],
        charts=_charts(data, currency, names),
        low_stock=low_stock(store_id=scope.store_id),
        query=request.GET.urlencode(),
    )
    return render(request, "dashboard/index.html", context)


@require_GET
@manager_required
def data(request: HttpRequest) -> JsonResponse:
    """The dashboard's figures as JSON (amounts in minor units of ``currency``)."""
    context, _ignored, currency = _context(request)
    form: ScopeForm = context["form"]
    payload = {**context["data"], "currency": currency}
    if form.errors:
        payload["errors"] = {k: [str(e) for e in v] for k, v in form.errors.items()}
    return JsonResponse(payload, status=400 if form.errors else 200)
