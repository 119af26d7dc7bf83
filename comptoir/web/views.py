"""The web shell: landing page, login and logout, the sync badge shown on every page."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from comptoir import health
from comptoir.syncengine.selectors import sync_status
from comptoir.web.roles import MANAGER, role_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Cashiers land on the till screen; managers on the dashboard."""
    role = role_of(request.user)
    if role == MANAGER:
        return redirect("dashboard:index")
    if role is None:
        return render(request, "web/no_role.html", status=403)
    return redirect("pos:index")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on every page whatever the page links (the
    admin's and the printed pages' too): the SVG icon the pages link, with no login."""
    response = HttpResponseRedirect(static("web/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


#: The worker's long poll returns at least every 25 s: a contact older than this means
#: nothing is syncing (worker stopped or stuck), even if the last attempt went well.
STALE_SECONDS = 300


def _duration(seconds: int) -> str:
    seconds = max(0, seconds)
    if seconds < 60:
        return _("%(n)d s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)d min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)d h") % {"n": seconds // 3600}
    return _("%(n)d j") % {"n": seconds // 86400}


def _since(now: datetime, when: datetime) -> str:
    return _duration(int((now - when).total_seconds()))


def badge_state(now: datetime | None = None) -> dict[str, object]:
    """What the permanent badge says: a level (ok, pending, offline, error) and a sentence.
    A damaged database (``comptoir.health``) is all it says then.

    Levels: ``ok`` synced recently with nothing waiting; ``pending`` changes waiting, never
    synced, or no contact for ``STALE_SECONDS``; ``offline`` the hub is unreachable (or
    no hub), or answers pulls while pushes fail; ``error`` changes refused by the hub or
    received but not saved here.
    """
    now = now or timezone.now()
    if settings.COMPTOIR_ROLE == "hub":
        return {"level": "ok", "text": _("Serveur central"), "pending": 0, "skew": ""}
    if health.current_damage() is not None:
        # Said first and alone: nothing is sold here until the database is restored.
        text = _("⚠ Base de données endommagée : ventes refusées, restaurez une sauvegarde")
        return {"level": "error", "text": text, "pending": 0, "skew": ""}
    status = sync_status()
    skew = ""
    if status.clock_skewed:
        skew = _("Horloge de ce poste décalée de %(s)s : corrigez l’heure du PC.") % {
            "s": _duration(abs(status.clock_offset_ms) // 1000)
        }
    if not status.hub_url:
        return {
            "level": "offline",
            "text": _("Poste non relié à un serveur"),
            "pending": 0,
            "skew": skew,
        }
    parts: list[str] = []
    if status.integrity_alerts:
        # A validated document the hub refused: its series has a hole on the hub.
        parts.append(
            ngettext(
                "⚠ %(n)d document validé refusé par le serveur (alerte d’intégrité)",
                "⚠ %(n)d documents validés refusés par le serveur (alerte d’intégrité)",
                len(status.integrity_alerts),
            )
            % {"n": len(status.integrity_alerts)}
        )
    if status.pending:
        parts.append(
            ngettext("%(n)d changement en attente", "%(n)d changements en attente", status.pending)
            % {"n": status.pending}
        )
    if status.rejected:
        parts.append(
            ngettext("%(n)d refusé", "%(n)d refusés", len(status.rejected))
            % {"n": len(status.rejected)}
        )
    if status.pull_failures:
        parts.append(
            ngettext(
                "%(n)d reçu non enregistré",
                "%(n)d reçus non enregistrés",
                len(status.pull_failures),
            )
            % {"n": len(status.pull_failures)}
        )
    if status.offline_since is not None:
        level = "offline"
        head = _("Hors ligne depuis %(since)s") % {"since": _since(now, status.offline_since)}
    elif status.push_failing_since is not None:
        # The hub answers pulls, but what this till sells does not get through.
        level = "offline"
        head = _("Envois en échec depuis %(since)s") % {
            "since": _since(now, status.push_failing_since)
        }
    elif status.last_contact_at is None:
        level = "pending"
        head = _("Jamais synchronisé")
    else:
        age = _since(now, status.last_contact_at)
        if (now - status.last_contact_at).total_seconds() > STALE_SECONDS:
            level = "pending"
            head = _("Dernier contact il y a %(age)s") % {"age": age}
        else:
            level = "pending" if status.pending else "ok"
            head = _("Synchronisé il y a %(age)s") % {"age": age}
        if status.rejected or status.pull_failures:
            level = "error"
    text = ", ".join([head, *parts])
    return {"level": level, "text": text, "pending": status.pending, "skew": skew}


@require_GET
@login_required
def sync_badge(request: HttpRequest) -> HttpResponse:
    """The badge fragment, re-fetched every few seconds by every page (htmx)."""
    return render(request, "web/badge.html", {"badge": badge_state()})
