"""The web pages' guard on what a URL carries, before any view or query sees it.

Searches, filters and document numbers come from the query string and the path. A NUL
byte there reaches PostgreSQL as a ``DataError`` (a 500 on every search page), bytes that
are not UTF-8 become replacement characters, and a 10,000-character "number" is nobody's.
So every query parameter (name and value) and every path segment is checked once, here,
for every page, those added later included: control characters (tab, line feed and
carriage return excepted), invalid UTF-8 and excessive length get a French 400 page.
Cookies are the browser's, not the person's: a malformed one is dropped (the visitor is
then simply not logged in) rather than refused with a page they cannot fix.

The sync API (``/api/sync/``) is not guarded here: it is served without these middleware
and refuses bad parameters itself, in JSON (``tests/hostile``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from comptoir.syncengine.protocol import PREFIX as API_PREFIX

#: The longest query value a page accepts (a search, a date, a number are far shorter).
MAX_PARAM_CHARS = 2_000
#: The longest path segment (a document number is at most 40 characters).
MAX_SEGMENT_CHARS = 200
MAX_COOKIE_CHARS = 4_096
# C0 controls but tab, LF and CR (a textarea's line breaks), and DEL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def url_problem(path: str, query_string: str) -> str:
    """What is wrong with a request's path or query string, in one French sentence; ""
    when nothing is. ``query_string`` is as received (percent-encoded)."""
    for segment in path.split("/"):
        # Under ASGI, bytes that are not UTF-8 reach the path as U+FFFD.
        if CONTROL.search(segment) or "\ufffd" in segment:
            return _("L’adresse contient des caractères invalides.")
        if len(segment) > MAX_SEGMENT_CHARS:
            return _("L’adresse est trop longue.")
    try:
        pairs = parse_qsl(
            query_string,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except UnicodeDecodeError:
        return _("Un paramètre de l’adresse n’est pas du texte valide (UTF-8).")
    except ValueError:
        return _("L’adresse porte trop de paramètres.")
    for name, value in pairs:
        if CONTROL.search(name) or CONTROL.search(value):
            return _("Le paramètre « %(name)s » contient des caractères de contrôle.") % {
                "name": CONTROL.sub("", name)[:40]
            }
        if len(value) > MAX_PARAM_CHARS:
            return _("Le paramètre « %(name)s » est trop long (%(max)d caractères au plus).") % {
                "name": name[:40],
                "max": MAX_PARAM_CHARS,
            }
    return ""


def _drop_bad_cookies(request: HttpRequest) -> None:
    for name, value in list(request.COOKIES.items()):
        if CONTROL.search(name) or CONTROL.search(value) or len(value) > MAX_COOKIE_CHARS:
            del request.COOKIES[name]


def url_guard(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """Placed before the session middleware, so that a dropped cookie is never looked up,
    and before the locale middleware: the 400 page finds the visitor's language itself.
    The page is made without the database (no user, no menu)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return get_response(request)
        query = request.META.get("QUERY_STRING", "")
        if url_problem(request.path, query):
            with translation.override(translation.get_language_from_request(request)):
                html = render_to_string("400.html", {"message": url_problem(request.path, query)})
            return HttpResponseBadRequest(html)
        _drop_bad_cookies(request)
        return get_response(request)

    return middleware
