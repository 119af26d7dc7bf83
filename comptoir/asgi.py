"""ASGI entry point: ``comptoir serve`` runs this under uvicorn for both roles.

Two Django handlers share the process: the web pages, with every middleware of the
settings, and the sync API (``/api/sync/``), with only those it needs. The API
authenticates with a bearer token and is exempt from CSRF: sessions, authentication,
messages, the login lockout and static files have nothing to do there, and WhiteNoise,
which only works synchronously, would force every API request through a thread of its
own and back (a long poll is an ``async`` view).

The live stream of a till's store (``/api/sync/v1/stream``, ``syncengine.stream``) is an
ASGI application of its own, before both: it is answered once and then only sends.
"""

import os
import warnings
from typing import Any

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler

from comptoir.home import SERVING_ENV
from comptoir.lib import heap

# WhiteNoise serves static files with a synchronous iterator; under ASGI Django adapts it
# and warns on every file. The cost is negligible for the admin's few static files.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

web = get_asgi_application()

API_PREFIX = "/api/sync/"
# Host and HTTPS checks and the language of the refusals (Django's own, called inline),
# then compressed answers (zstd: a page of pulled invoices shrinks twentyfold). The CSP
# and Secure cookies as on every page (inline too: no thread hop).
API_MIDDLEWARE = (
    "comptoir.lib.security.secure_transport",
    "comptoir.syncengine.middleware.api_middleware",
    "comptoir.syncengine.compression.api_compression",
)


def _api_handler() -> ASGIHandler:
    """A handler loading only :data:`API_MIDDLEWARE`.

    Django reads the middleware from the settings when a handler is made, so the list is
    replaced for that moment only.
    """
    from django.conf import settings

    full = settings.MIDDLEWARE
    settings.MIDDLEWARE = list(API_MIDDLEWARE)
    try:
        return ASGIHandler()
    finally:
        settings.MIDDLEWARE = full


api = _api_handler()

from comptoir.syncengine import stream, streamapp  # noqa: E402  (Django is set up above)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http" and scope["path"] == stream.PATH:
        await streamapp.application(scope, receive, send)
    elif scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
        await api(scope, receive, send)
    else:
        await web(scope, receive, send)


async def _lifespan(receive: Any, send: Any) -> None:
    """The server process's start and stop (ASGI lifespan; Django's handler has none).

    At start-up a served hub begins listening for the change log's notifications in this
    process's event loop, before any request: with ``--workers N`` every process listens,
    whichever of them the long polls happen to reach. Under ``comptoir serve``, a signal
    to stop ends the live streams first (uvicorn waits for responses under way).
    """
    from comptoir.sync.notify import waiter

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            waiter.start()
            if os.environ.get(SERVING_ENV) == "1":
                streamapp.close_on_exit_signals()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _serve_hub() -> None:
    """What only a served hub does, in every server process (``serve --workers N``
    starts this module once per process): wake long polls on the change log's NOTIFY,
    and keep the facts it serves in memory (every till of a store pulls each sale).

    Only under ``comptoir serve`` (which sets ``COMPTOIR_SERVING``): importing this
    module elsewhere (a test) must not turn them on for the rest of the process.
    """
    from django.conf import settings

    if settings.COMPTOIR_ROLE != "hub" or os.environ.get(SERVING_ENV) != "1":
        return
    from comptoir.sync.notify import waiter
    from comptoir.sync.wire import fact_cache

    waiter.enabled = True
    fact_cache.enabled = True


_serve_hub()
if os.environ.get(SERVING_ENV) == "1":
    heap.settle()  # every module a request needs is loaded: out of the collector's walks
