"""The till screen runs on a node: every test here plays a till with a small catalogue."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from comptoir.web.roles import CASHIER, MANAGER, role_set
from tests.factories import make_article

PAIN_EAN = "3017620422003"
VIN_EAN = "96385074"
FETCH = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def node_role(settings: Any) -> None:
    settings.COMPTOIR_ROLE = "node"


@pytest.fixture
def catalogue(till: Till) -> None:
    make_article("PAIN", "1.20", vat="5.5", cost="0.40", barcodes=[PAIN_EAN])
    make_article("VIN", "8.90", vat="20", cost="4.00", barcodes=[VIN_EAN])
    make_article("FROM", "24.90", vat="5.5", cost="12.00", unit="kg")
    stock_receive(article="PAIN", quantity=50)
    stock_receive(article="VIN", quantity=10)


def make_user(username: str, role: str | None) -> Any:
    user = get_user_model().objects.create_user(username, password="secret-pass-1")
    if role is not None:
        role_set(user, role)
    return user


@pytest.fixture
def cashier(db: None) -> Any:
    return make_user("alice", CASHIER)


@pytest.fixture
def cashier_client(client: Client, cashier: Any, till: Till) -> Client:
    client.force_login(cashier)
    return client


@pytest.fixture
def manager_client(db: None, till: Till) -> Client:
    client = Client()
    client.force_login(make_user("gerant", MANAGER))
    return client
