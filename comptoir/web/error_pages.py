"""The 400 and 404 pages in the app's layout (``handler400``, ``handler404``).

Django's own 403 and 500 views are used with this app's templates (``403.html``,
``500.html``); Django renders the 500 one without the request, hence without the
database, which may be what failed. Its 400 view renders with the request, so the
layout's context processor would look the user up: the sync API's handler has no user
at all, and a 400 must not need the database either. Hence these two.
"""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
)
from django.template.loader import render_to_string
from django.urls import Resolver404


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """What was refused is not repeated (it may be a forged header): a generic sentence."""
    return HttpResponseBadRequest(render_to_string("400.html"))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``Http404(_("Facture inconnue : « X »."))`` shows its sentence; an unknown URL
    (``Resolver404``, whose argument is the resolver's report) the generic one.

    With the menu when the request went through the pages' middleware (it has a user);
    the sync API's requests have none.
    """
    message = ""
    if isinstance(exception, Http404) and not isinstance(exception, Resolver404):
        first = exception.args[0] if exception.args else ""
        message = first if isinstance(first, str) else ""
    page = request if hasattr(request, "user") else None
    return HttpResponseNotFound(render_to_string("404.html", {"message": message}, page))
