"""The sync page: on a till, where sync stands and « Synchroniser maintenant »; on the hub,
every enrolled till and the conflict log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.dashboard import sync_now as runner
from comptoir.dashboard.cycles import recent_cycles
from comptoir.dashboard.sync_selectors import (
    clock_node,
    conflicts,
    model_name,
    node_names,
    nodes_overview,
)
from comptoir.sync.protocol import CLOCK_TOLERANCE_MS
from comptoir.sync.selectors import open_integrity_alerts, sync_status
from comptoir.web.roles import cashier_required
from comptoir.web.views import badge_state

CONFLICTS_PER_PAGE = 25


def _node_context() -> dict[str, Any]:
    status = sync_status()
    for item in (*status.rejected, *status.integrity_alerts, *status.pull_failures):
        item["model_name"] = model_name(item["model"])
    return {
        "status": status,
        "badge": badge_state(),
        "cycles": recent_cycles(),
        "skew_seconds": abs(status.clock_offset_ms) // 1000,
        "tolerance_seconds": CLOCK_TOLERANCE_MS // 1000,
    }


def _hub_context(request: HttpRequest) -> dict[str, Any]:
    page = Paginator(conflicts(), CONFLICTS_PER_PAGE).get_page(request.GET.get("page"))
    names = node_names()
    rows = [
        {
            "entry": c,
            "model_name": model_name(c.model),
            "kept_by": names.get(clock_node(c.kept_clock), clock_node(c.kept_clock)),
            "lost_by": names.get(clock_node(c.lost_clock), clock_node(c.lost_clock)),
        }
        for c in page.object_list
    ]
    alerts = [
        {
            "alert": a,
            "model_name": model_name(a.model),
            "node": names.get(a.node_id, a.node_id),
        }
        for a in open_integrity_alerts()
    ]
    return {"nodes": nodes_overview(), "conflicts": rows, "page": page, "alerts": alerts}


@require_GET
@cashier_required
def index(request: HttpRequest) -> HttpResponse:
    if settings.COMPTOIR_ROLE == "hub":
        return render(request, "dashboard/sync_hub.html", _hub_context(request))
    return render(request, "dashboard/sync_node.html", _node_context())


@require_POST
@cashier_required
def now(request: HttpRequest) -> HttpResponse:
    """Run a sync cycle, then show the page with its outcome (post/redirect/get)."""
    if settings.COMPTOIR_ROLE == "hub":
        messages.info(
            request,
            _("Le serveur central ne se synchronise pas : ce sont les caisses qui l’appellent."),
        )
        return redirect("sync:index")
    outcome = runner.sync_now(timeout=runner.SYNC_NOW_TIMEOUT)
    level = {"success": messages.SUCCESS, "warning": messages.WARNING}.get(
        outcome.level, messages.ERROR
    )
    messages.add_message(request, level, outcome.text)
    for detail in outcome.details:
        messages.add_message(request, level, detail)
    return redirect("sync:index")
