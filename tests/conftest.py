"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
``DATABASE_URL`` points at one (``make unit-postgres`` starts a throwaway cluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from comptoir.core.models import Store, Till
from comptoir.core.services import store_get_or_create, till_create


@pytest.fixture(autouse=True)
def _french_again() -> Iterator[None]:
    """A request in English (test client) leaves English active in the thread: every test
    starts and ends in the installation's language, as a fresh process would."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _cache_emptied() -> Iterator[None]:
    """Each test starts with an empty cache (refused enrollments per address, import
    progress), as a fresh process would."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def store(db: None) -> Store:
    return store_get_or_create(name="Magasin principal", currency="EUR")


@pytest.fixture
def till(store: Store) -> Till:
    """This post's till (bound to ``settings.COMPTOIR_NODE_ID``), prefix C1."""
    return till_create(store=store, name="Caisse 1", prefix="C1", node_id=settings.COMPTOIR_NODE_ID)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL seulement (lancé par make unit-postgres)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
