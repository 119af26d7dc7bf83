"""Receivables: the customers who owe something on account, oldest unpaid debt first."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from comptoir.sales.selectors import receivables_list
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible


@require_GET
@manager_required
def receivables_view(request: HttpRequest) -> HttpResponse:
    rows = receivables_list(store_ids=stores_visible(request.user).ids)
    return render(
        request,
        "dashboard/receivables.html",
        {
            "rows": rows,
            "total": sum(r.balance for r in rows),
            "currency": settings.COMPTOIR_CURRENCY,
            "has_till": settings.COMPTOIR_ROLE != "hub",
        },
    )
