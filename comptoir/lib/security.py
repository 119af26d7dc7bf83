"""Transport security of the web application: trusted proxies, secure cookies, CSP.

Who the client is and whether it came over HTTPS is decided once, by ``comptoir serve``:
uvicorn takes the socket's address and scheme, and believes ``X-Forwarded-For`` and
``X-Forwarded-Proto`` only from the configured reverse proxies (:func:`trusted_proxies`).
Django then reads ``REMOTE_ADDR`` (login lockout, enrollment refusals) and
``request.is_secure()`` (HSTS, secure cookies) from that, and never a header itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.decorators import sync_and_async_middleware
from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError

# Everything is served by comptoir itself (htmx is vendored): no inline script or style
# attribute, no eval (htmx is configured without it), nothing from elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)


def trusted_proxies(values: Iterable[str] | str) -> list[str]:
    """The reverse proxies to believe, as uvicorn takes them: addresses or networks (CIDR).

    A list, or one string with commas. Host names and ``*`` are refused: a proxy is
    trusted by the address it connects from.
    """
    if isinstance(values, str):
        values = values.split(",")
    proxies = []
    for raw in values:
        value = str(raw).strip()
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(
                _(
                    "Relais de confiance invalide : « %(value)s » (une adresse IP ou un "
                    "réseau, par exemple 10.0.0.5 ou 10.0.0.0/24)."
                )
                % {"value": value}
            ) from None
        proxies.append(str(network.network_address) if "/" not in value else str(network))
    return proxies


def _secured(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if request.is_secure():
        for morsel in response.cookies.values():
            morsel["secure"] = True
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


@sync_and_async_middleware
def secure_transport(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Cookies marked ``Secure`` on HTTPS requests, and a Content-Security-Policy everywhere.

    Per request rather than ``SESSION_COOKIE_SECURE``/``CSRF_COOKIE_SECURE``: one code base
    serves a till on plain ``http://127.0.0.1`` (where a Secure cookie would never come
    back, and login would break) and a hub over HTTPS. Every cookie is covered (session,
    CSRF, language, messages). HSTS comes from ``SecurityMiddleware`` on the same condition.
    Placed above every middleware that sets cookies, so that it sees them all; async and
    sync, so that the sync API's long polls keep running without a thread.
    """
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponseBase:
            return _secured(request, await get_response(request))

    else:

        def middleware(request: HttpRequest) -> HttpResponseBase:  # type: ignore[misc]
            return _secured(request, get_response(request))

    return middleware
