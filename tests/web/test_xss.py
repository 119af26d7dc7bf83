"""What people type (article names, customer fields, notes) is shown escaped on every screen
that prints it: till screen, ticket, A4 invoice, back office, dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.services import article_create
from comptoir.customers.services import customer_create
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.web.roles import MANAGER, role_set

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'


@pytest.fixture
def manager(db: None, till: Till, settings: Any) -> Client:
    settings.COMPTOIR_ROLE = "node"
    user = get_user_model().objects.create_user("chef", password="x" * 12)
    role_set(user, MANAGER)
    client = Client()
    client.force_login(user)
    return client


def test_hostile_names_are_escaped_everywhere(manager: Client) -> None:
    article = article_create(code="XSS1", name=f"Pain {SCRIPT}", sale_price="2.00")
    customer = customer_create(name=f"Client {IMG}", address=f"1 rue {SCRIPT}")
    invoice = invoice_sell(lines=[SaleLine(article="XSS1", quantity=1)], customer=customer)
    pages = [
        reverse("pos:receipt", args=[invoice.number]),
        reverse("pos:invoice_a4", args=[invoice.number]),
        reverse("pos:my_sales"),
        reverse("backoffice:articles"),
        reverse("backoffice:article_edit", args=[article.pk]),
        reverse("backoffice:customers"),
        reverse("backoffice:invoices"),
        reverse("backoffice:invoice_detail", args=[invoice.number]),
        reverse("dashboard:index"),
    ]
    for url in pages:
        response = manager.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SCRIPT not in html, url
        assert IMG not in html, url
    shown = manager.get(reverse("pos:invoice_a4", args=[invoice.number])).content.decode()
    assert "&lt;script&gt;" in shown
    assert "&lt;img" in shown
