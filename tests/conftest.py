"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
``DATABASE_URL`` points at one (``make unit-postgres`` starts a throwaway cluster)."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import override_settings
from django.utils import translation

from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create, till_create


def pytest_configure(config: pytest.Config) -> None:
    """Passwords hashed with MD5 in this process: PBKDF2's 10⁶ rounds are most of the time
    of the tests that log in. Only this process's settings change: the ``comptoir``
    processes that scenario and CLI tests start hash and check with the real hashers, and
    the real ones stay listed here so that a hash one of them wrote still checks."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    # override_settings sends setting_changed, which empties Django's cache of hashers.
    override_settings(PASSWORD_HASHERS=hashers).enable()
    # A cache in memory in this process, whatever the database (a hub on PostgreSQL keeps
    # it in its database: ``tests/ops/test_shared_cache.py``), so that each test starts
    # with an empty one, with or without database access.
    override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ).enable()
    sys.addaudithook(_refuse_comptoir_children)


# -- the fast tier: no ``comptoir`` child process outside tests marked slow ---------------

_FAST_TIER = {"on": False}  # True while a test not marked slow runs (setup to teardown)


def _starts_comptoir(args: Any) -> bool:
    """Whether a command line runs the ``comptoir`` program (``python -m comptoir``, the
    ``comptoir`` script): each such child sets Django up and opens or migrates a home."""
    argv = [os.fspath(a) for a in args] if isinstance(args, list | tuple) else str(args).split()
    module = any(a == "-m" and b == "comptoir" for a, b in itertools.pairwise(argv))
    return module or (bool(argv) and os.path.basename(argv[0]) == "comptoir")


def _refuse_comptoir_children(event: str, args: tuple[Any, ...]) -> None:
    if event == "subprocess.Popen" and _FAST_TIER["on"] and _starts_comptoir(args[1]):
        raise RuntimeError(
            "Ce test lance un processus comptoir : marquez-le @pytest.mark.slow (make check "
            "ne lance que les tests non marqués slow, sans processus enfant comptoir)."
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """A test that is not marked slow may not start ``comptoir`` processes, in its fixtures
    either: ``make check`` (``-m "not slow"``) stays a single-process run."""
    _FAST_TIER["on"] = item.get_closest_marker("slow") is None
    try:
        return (yield)
    finally:
        _FAST_TIER["on"] = False


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


@pytest.fixture
def home_manager(till: Till) -> str:
    """The manager ``init`` makes with every home (``--admin-user``, "admin" by default):
    the commands that record a cashier name it when ``--cashier`` is not given."""
    from django.contrib.auth import get_user_model

    get_user_model()._default_manager.create_superuser("admin", "", "x" * 12)
    return "admin"
