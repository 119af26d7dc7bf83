"""Who may use the till screen, and where: a cashier or a manager, on a post with a till."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from comptoir.lib.errors import NotFoundError
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current
from comptoir.web.roles import cashier_required

TillView = Callable[..., HttpResponse]


def is_fetch(request: HttpRequest) -> bool:
    """A request from the till screen's script (which wants fragments, not a redirect)."""
    return request.headers.get("HX-Request") == "true"


def till_required(view: TillView) -> TillView:
    """A cashier view that sells through this post's till, passed as ``till``.

    The hub has no till: its users get a page that says so (status 200, not an error:
    the link is in the navigation of every post), never a crash.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.COMPTOIR_ROLE == "hub":
            message = _(
                "Le serveur central n'a pas de caisse : l'encaissement se fait sur les "
                "postes des magasins. Les tickets et factures restent consultables ici."
            )
            return render(request, "pos/no_till.html", {"message": message})
        try:
            till: Till = till_current()
        except NotFoundError as error:
            return render(request, "pos/no_till.html", {"message": error.message})
        return view(request, *args, till=till, **kwargs)

    return cashier_required(wrapped)
