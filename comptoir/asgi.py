"""ASGI entry point: ``comptoir serve`` runs this under uvicorn for both roles."""

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise serves static files with a synchronous iterator; under ASGI Django adapts it
# and warns on every file. The cost is negligible for the admin's few static files.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

application = get_asgi_application()
