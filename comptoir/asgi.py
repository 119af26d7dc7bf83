"""ASGI entry point: ``comptoir serve`` runs this under uvicorn for both roles."""

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise serves static files with a synchronous iterator; under ASGI Django adapts it
# and warns on every file. The cost is negligible for the admin's few static files.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

application = get_asgi_application()


def _serve_hub() -> None:
    """What only a served hub does, in every server process (``serve --workers N``
    starts this module once per process): wake long polls on the change log's NOTIFY,
    and keep the facts it serves in memory (every till of a store pulls each sale)."""
    from django.conf import settings

    if settings.COMPTOIR_ROLE != "hub":
        return
    from comptoir.sync.notify import waiter
    from comptoir.sync.wire import fact_cache

    waiter.enabled = True
    fact_cache.enabled = True


_serve_hub()
