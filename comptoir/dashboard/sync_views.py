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

from comptoir import health
from comptoir.dashboard import sync_now as runner
from comptoir.dashboard.cycles import recent_cycles
from comptoir.dashboard.sync_selectors import (
    conflict_rows,
    conflicts,
    model_name,
    node_names,
    nodes_overview,
)
from comptoir.journal.verify import checks_summary
from comptoir.lib.server_errors import server_errors
from comptoir.maintenance import backup_status
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS
from comptoir.syncengine.selectors import integrity_alert_open_list, sync_status
from comptoir.web.roles import cashier_required
from comptoir.web.scope import stores_visible
from comptoir.web.views import badge_state

CONFLICTS_PER_PAGE = 25


def _node_context() -> dict[str, Any]:
    home, config = settings.COMPTOIR_HOME, settings.COMPTOIR_CONFIG
    damage = health.current_damage()
    status = sync_status()
    for item in (*status.rejected, *status.integrity_alerts, *status.pull_failures):
        item["model_name"] = model_name(item["model"])
    return {
        "status": status,
        "badge": badge_state(),
        "cycles": recent_cycles(),
        "skew_seconds": abs(status.clock_offset_ms) // 1000,
        "tolerance_seconds": CLOCK_TOLERANCE_MS // 1000,
        "damage": damage,
        "damage_text": health.damage_sentence(damage) if damage else "",
        "backups": backup_status(home, config) if home and config else None,
        "journal": checks_summary(),
    }


def _hub_context(request: HttpRequest) -> dict[str, Any]:
    store_ids = stores_visible(request.user).ids
    page = Paginator(conflicts(), CONFLICTS_PER_PAGE).get_page(request.GET.get("page"))
    names = node_names(store_ids=store_ids)
    rows = conflict_rows(page.object_list, names=names)
    alerts = [
        {
            "alert": a,
            "model_name": model_name(a.model),
            "node": names.get(a.node_id, a.node_id),
        }
        for a in integrity_alert_open_list()
        if not store_ids or a.node_id in names  # an account sees its stores' posts only
    ]
    return {
        "nodes": nodes_overview(store_ids=store_ids),
        "conflicts": rows,
        "page": page,
        "alerts": alerts,
        "journal": checks_summary(store_ids),
        "backups": _backups(),
    }


def _backups() -> Any:
    """This installation's backups (a till's, or the hub's ``pg_dump``), as ``status``."""
    home, config = settings.COMPTOIR_HOME, settings.COMPTOIR_CONFIG
    return backup_status(home, config) if home and config else None


@require_GET
@cashier_required
def index(request: HttpRequest) -> HttpResponse:
    if settings.COMPTOIR_ROLE == "hub":
        template, context = "dashboard/sync_hub.html", _hub_context(request)
    else:
        template, context = "dashboard/sync_node.html", _node_context()
    return render(request, template, {**context, "server_errors": server_errors()})


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
