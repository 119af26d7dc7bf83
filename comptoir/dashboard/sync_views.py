"""The sync page: on a till, where sync stands and « Synchroniser maintenant »; on the hub,
every enrolled till and the conflict log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir import health
from comptoir.dashboard import sync_now as runner
from comptoir.dashboard.cycles import recent_cycles
from comptoir.dashboard.sync_selectors import (
    NODE_STATES,
    NODES_PER_PAGE,
    conflict_rows,
    conflicts,
    model_name,
    node_names,
    node_rows,
    nodes_page,
    nodes_summary,
)
from comptoir.journal.verify import checks_summary
from comptoir.lib.server_errors import server_errors
from comptoir.maintenance import backup_status
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ConflictLog
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS
from comptoir.syncengine.selectors import integrity_alert_open_list, sync_status
from comptoir.web.roles import cashier_required
from comptoir.web.scope import stores_visible
from comptoir.web.views import badge_state

CONFLICTS_PER_PAGE = 25
#: Chains not whole listed on the hub's page (all are on the journal page).
JOURNAL_PROBLEMS_SHOWN = 50


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
    """Bounded work whatever the number of tills: the tills counted by state in one query,
    then one page of them (attention first) with their lag in one query, and the names
    of the posts that the page's conflicts and alerts mention."""
    store_ids = stores_visible(request.user).ids
    now = timezone.now()
    state = request.GET.get("etat", "")
    state = state if state in NODE_STATES else ""
    search = request.GET.get("q", "").strip()[:120]
    store_search = request.GET.get("magasin", "").strip()[:120]
    tills = Paginator(
        nodes_page(
            store_ids=store_ids, state=state, search=search, store_search=store_search, now=now
        ),
        NODES_PER_PAGE,
    ).get_page(request.GET.get("caisses"))
    page = Paginator(conflicts(), CONFLICTS_PER_PAGE).get_page(request.GET.get("page"))
    open_alerts = integrity_alert_open_list()
    posts = {a.node_id for a in open_alerts} | {
        side for c in page.object_list for side in _clock_nodes(c)
    }
    names = node_names(store_ids=store_ids, node_ids=posts)
    rows = conflict_rows(page.object_list, names=names)
    alerts = [
        {
            "alert": a,
            "model_name": model_name(a.model),
            "node": names.get(a.node_id, a.node_id),
        }
        for a in open_alerts
        if not store_ids or a.node_id in names  # an account sees its stores' posts only
    ]
    return {
        "summary": nodes_summary(store_ids=store_ids, now=now),
        "nodes": node_rows(tills.object_list),
        "tills": tills,
        "node_filters": {"etat": state, "q": search, "magasin": store_search},
        "node_states": _state_labels(),
        "conflicts": rows,
        "page": page,
        "alerts": alerts,
        "journal": checks_summary(store_ids, limit=JOURNAL_PROBLEMS_SHOWN),
        "backups": _backups(),
    }


def _state_labels() -> list[tuple[str, str]]:
    return [
        ("attention", _("à surveiller")),
        ("late", _("sans contact récent")),
        ("pending", _("avec des ventes à envoyer")),
        ("never", _("jamais connectées")),
        ("revoked", _("révoquées")),
        ("online", _("en ligne")),
    ]


def _clock_nodes(entry: ConflictLog) -> list[str]:
    """The posts whose clocks a conflict entry holds (both sides)."""
    nodes = []
    for clock in (entry.kept_clock, entry.lost_clock):
        try:
            nodes.append(Timestamp.decode(clock).node)
        except (ValueError, IndexError, AttributeError):
            continue
    return nodes


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
