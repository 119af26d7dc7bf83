"""The sync API's middleware, run inline: no thread hop per request.

Django runs a ``MiddlewareMixin`` middleware under ASGI by sending each of its
``process_request`` and ``process_response`` calls to a thread and back: with security,
language and host checks, six hops per request, about a tenth of a long poll's CPU on
the hub. Those calls only read and write the request and response (no I/O), so here
they are made directly, in the order and with the effect they have in the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.decorators import sync_and_async_middleware

# Outermost first, as in settings.MIDDLEWARE.
INLINE = (SecurityMiddleware, LocaleMiddleware, CommonMiddleware)


def _unused(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("inline middleware never calls on")


@sync_and_async_middleware
def api_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    chain = [cls(_unused) for cls in INLINE]

    def before(request: HttpRequest) -> tuple[HttpResponseBase | None, int]:
        """The first early answer (a redirect, a refusal) and how many middleware ran."""
        for ran, middleware in enumerate(chain, start=1):
            process = getattr(middleware, "process_request", None)
            answer = process(request) if process is not None else None
            if answer is not None:
                return answer, ran
        return None, len(chain)

    def after(request: HttpRequest, response: HttpResponseBase, ran: int) -> HttpResponseBase:
        for middleware in reversed(chain[:ran]):
            process = getattr(middleware, "process_response", None)
            if process is not None:
                response = process(request, response)
        return response

    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponseBase:
            answer, ran = before(request)
            return after(request, answer or await get_response(request), ran)

    else:

        def middleware(request: HttpRequest) -> HttpResponseBase:  # type: ignore[misc]
            answer, ran = before(request)
            return after(request, answer or get_response(request), ran)

    return middleware
