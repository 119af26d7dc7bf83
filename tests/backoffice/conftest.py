"""Back-office fixtures: logged-in clients per role, and imports run inline."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from comptoir.backoffice import importjobs
from comptoir.stores.models import Till
from comptoir.web.roles import role_set


def _client(username: str, role: str | None) -> Client:
    user = get_user_model().objects.create_user(username=username, password="x-secret-123")
    if role:
        role_set(user, role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(till: Till) -> Client:
    return _client("gerant", "manager")


@pytest.fixture
def cashier(till: Till) -> Client:
    return _client("caisse", "cashier")


@pytest.fixture
def anonymous(till: Till) -> Client:
    return Client()


@pytest.fixture(autouse=True)
def inline_imports(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run web imports in the request (the test database is not visible to a thread)."""
    monkeypatch.setattr(importjobs, "starter", importjobs.run)
