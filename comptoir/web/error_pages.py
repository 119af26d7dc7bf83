"""The 404 page in the app's layout, saying what was not found when a view said it.

The 400, 403 and 500 pages are Django's own views with this app's templates
(``400.html``, ``403.html``, ``500.html``): the 400 and 500 ones are rendered without a
request, hence without the database, which may be what failed.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.urls import Resolver404


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``Http404(_("Facture inconnue : « X »."))`` shows its sentence; an unknown URL
    (``Resolver404``, whose argument is the resolver's report) the generic one."""
    message = ""
    if isinstance(exception, Http404) and not isinstance(exception, Resolver404):
        first = exception.args[0] if exception.args else ""
        message = first if isinstance(first, str) else ""
    return HttpResponseNotFound(render_to_string("404.html", {"message": message}, request))
