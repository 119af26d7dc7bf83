"""The technical event log (JET) of the posts a manager sees: filter by period and kind."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from comptoir.events.models import EventKind
from comptoir.events.selectors import event_list
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible

PAGE_ROWS = 200


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@manager_required
def event_log(request: HttpRequest) -> HttpResponse:
    start, end = _day(request.GET.get("from")), _day(request.GET.get("to"))
    kind = request.GET.get("kind", "")
    if kind not in EventKind.values:
        kind = ""
    events = list(
        event_list(
            date_from=start,
            date_to=end,
            kinds=[kind] if kind else [],
            store_ids=stores_visible(request.user).ids,
            limit=PAGE_ROWS,
        )
    )
    return render(
        request,
        "backoffice/event_list.html",
        {
            "events": events,
            "kinds": EventKind.choices,
            "kind": kind,
            "start": start,
            "end": end,
            "limit": PAGE_ROWS,
        },
    )
