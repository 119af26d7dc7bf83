"""ASGI entry point: ``comptoir serve`` runs this under uvicorn for both roles."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

application = get_asgi_application()
