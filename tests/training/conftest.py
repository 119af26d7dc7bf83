"""Training mode tests play a till (a node) with a small catalogue, a cashier and a manager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from comptoir.sales.models import InvoiceDraft
from comptoir.sales.services import SaleLine, invoice_draft_add_line, invoice_draft_create
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from comptoir.training.services import training_set
from comptoir.web.roles import CASHIER, MANAGER

# The in-process command runners of the CLI tests.
from tests.cli.conftest import cli, cli_fail, cli_json  # noqa: F401
from tests.factories import make_article
from tests.pos.conftest import make_user


@pytest.fixture(autouse=True)
def node_role(settings: Any) -> None:
    settings.COMPTOIR_ROLE = "node"


@pytest.fixture
def catalogue(till: Till) -> None:
    make_article("PAIN", "1.20", vat="5.5", cost="0.40")
    make_article("VIN", "8.90", vat="20", cost="4.00")
    stock_receive(article="PAIN", quantity=50)
    stock_receive(article="VIN", quantity=10)


@pytest.fixture
def basket(till: Till, catalogue: None) -> Callable[..., InvoiceDraft]:
    """A basket rung up at the till (3 PAIN at -10 %, 1 VIN unless told)."""

    def ring(*lines: SaleLine) -> InvoiceDraft:
        draft = invoice_draft_create(till=till, cashier="alice")
        for line in lines or (SaleLine("PAIN", 3, discount_rate=10), SaleLine("VIN", 1)):
            invoice_draft_add_line(draft=draft, line=line)
        return draft

    return ring


@pytest.fixture
def training_on(till: Till) -> None:
    training_set(on=True, till=till, user="gerant")


@pytest.fixture
def cashier_client(client: Client, till: Till) -> Client:
    client.force_login(make_user("alice", CASHIER))
    return client


@pytest.fixture
def manager_client(db: None, till: Till) -> Client:
    client = Client()
    client.force_login(make_user("gerant", MANAGER))
    return client
