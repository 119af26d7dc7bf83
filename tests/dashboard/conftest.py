"""Logged-in clients for the dashboard and sync pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from comptoir.web.roles import CASHIER, MANAGER, role_set


@pytest.fixture
def client_as(db: None) -> Callable[[str | None], Client]:
    def make(role: str | None) -> Client:
        user = get_user_model().objects.create_user(f"u-{role}", password="x-solide-123")
        if role:
            role_set(user, role)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def manager(client_as: Callable[[str | None], Client]) -> Client:
    return client_as(MANAGER)


@pytest.fixture
def cashier(client_as: Callable[[str | None], Client]) -> Client:
    return client_as(CASHIER)
