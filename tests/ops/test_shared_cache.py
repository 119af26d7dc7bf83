"""A hub on PostgreSQL keeps Django's cache in its database: the refused enrollments per
address are counted across every hub process and machine, not per process."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

COUNT = """
import django
django.setup()
from django.conf import settings
from django.test import RequestFactory
from comptoir.syncengine import views
request = RequestFactory().post("/api/sync/v1/enroll", REMOTE_ADDR="203.0.113.7")
views._enroll_failed(views._enroll_failures_key(request))
print(settings.CACHES["default"]["BACKEND"])
"""


def _url() -> str:
    db: dict[str, Any] = connection.settings_dict
    return (
        f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


def test_two_hub_processes_count_refused_enrollments_together(settings: Any) -> None:
    # This process reads the table as a hub process does (the suite's is in memory).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "comptoir_cache",
        }
    }
    call_command("createcachetable", verbosity=0)  # what set-up and each start do
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(DATABASE_URL=_url(), DJANGO_SETTINGS_MODULE="comptoir.settings")
    try:
        for _process in range(2):
            done = subprocess.run(
                [sys.executable, "-c", COUNT],
                env=env,
                check=True,
                timeout=60,
                capture_output=True,
                text=True,
            )
            assert done.stdout.strip().endswith("DatabaseCache"), done.stdout
        assert cache.get("comptoir:enroll-failures:203.0.113.7") == 2
    finally:
        cache.clear()
