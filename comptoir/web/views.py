"""The web shell: landing page, login and logout, the sync badge shown on every page."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from comptoir.sync.selectors import age_text, sync_status
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


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def _duration(seconds: int) -> str:
    if seconds < 60:
        return _("%(n)d s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)d min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)d h") % {"n": seconds // 3600}
    return _("%(n)d j") % {"n": seconds // 86400}


def badge_state(now: datetime | None = None) -> dict[str, object]:
    """What the permanent badge says: a level (ok, pending, offline, error) and a sentence."""
    now = now or timezone.now()
    if settings.COMPTOIR_ROLE == "hub":
        return {"level": "ok", "text": _("Serveur central"), "pending": 0, "skew": ""}
    status = sync_status()
    pending = ngettext(
        "%(n)d changement en attente", "%(n)d changements en attente", status.pending
    ) % {"n": status.pending}
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
    if status.offline_since is not None:
        since = _duration(int((now - status.offline_since).total_seconds()))
        text = _("Hors ligne depuis %(since)s") % {"since": since}
        if status.pending:
            text = f"{text}, {pending}"
        return {"level": "offline", "text": text, "pending": status.pending, "skew": skew}
    if status.last_contact_at is None:
        return {
            "level": "pending",
            "text": _("Jamais synchronisé") + (f", {pending}" if status.pending else ""),
            "pending": status.pending,
            "skew": skew,
        }
    text = _("Synchronisé %(age)s") % {"age": age_text(status.last_contact_at)}
    level = "ok"
    if status.pending:
        text = f"{text}, {pending}"
        level = "pending"
    if status.rejected:
        level = "error"
        text = f"{text}, " + ngettext("%(n)d refusé", "%(n)d refusés", len(status.rejected)) % {
            "n": len(status.rejected)
        }
    return {"level": level, "text": text, "pending": status.pending, "skew": skew}


@require_GET
@login_required
def sync_badge(request: HttpRequest) -> HttpResponse:
    """The badge fragment, re-fetched every few seconds by every page (htmx)."""
    return render(request, "web/badge.html", {"badge": badge_state()})
