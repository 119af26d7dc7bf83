"""The catalogue's admin: saved through the services, twins edited one by one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.models import Article, Supplier
from comptoir.catalogue.services import supplier_create
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_create
from comptoir.lib.money import format_amount
from tests.factories import make_article, twin_from_another_till

pytestmark = pytest.mark.django_db


def article_form(article: Article, **changes: str) -> dict[str, Any]:
    return {
        "code": article.code,
        "name": article.name,
        "category": "",
        "supplier": "",
        "sale_price": format_amount(article.sale_price, "EUR"),
        "vat_rate": str(article.vat_rate),
        "cost": format_amount(article.cost, "EUR"),
        "unit": article.unit,
        "alert_threshold": "0",
        "new_barcodes": "",
        "barcodes-TOTAL_FORMS": "0",
        "barcodes-INITIAL_FORMS": "0",
        **changes,
    }


def test_the_admin_refuses_a_code_taken_on_this_post(admin_client: Client) -> None:
    article = make_article("JUS")
    supplier_create(code="VERGER", name="Verger")
    customer_create(code="DUPONT", name="M. Dupont")

    for url, data, message in (
        ("admin:catalogue_article_add", article_form(article), "Un article porte déjà"),
        ("admin:catalogue_supplier_add", {"code": "VERGER", "name": "Bis"}, "Un fournisseur"),
        ("admin:customers_customer_add", {"code": "DUPONT", "name": "Bis"}, "Un client"),
    ):
        response = admin_client.post(reverse(url), data)
        assert response.status_code == 200, url
        assert message in response.content.decode()
    assert (Article.objects.count(), Supplier.objects.count(), Customer.objects.count()) == (
        1,
        1,
        1,
    )


def test_the_admin_edits_the_twin_it_shows(admin_client: Client) -> None:
    article = make_article("JUS", "2.00")
    newer = twin_from_another_till(article, name="Jus (caisse 2)")
    customer = customer_create(code="DUPONT", name="M. Dupont")
    newer_customer = twin_from_another_till(customer, name="Mme Dupont")

    response = admin_client.post(
        reverse("admin:catalogue_article_change", args=[newer.pk]),
        article_form(newer, sale_price="2.40"),
    )
    assert response.status_code == 302
    response = admin_client.post(
        reverse("admin:customers_customer_change", args=[newer_customer.pk]),
        {"name": "Mme Dupont", "phone": "01 23 45 67 89"},
    )
    assert response.status_code == 302

    for row in (article, newer, customer, newer_customer):
        row.refresh_from_db()
    assert (article.sale_price, newer.sale_price) == (200, 240)
    assert (customer.phone, newer_customer.phone) == ("", "01 23 45 67 89")


def test_an_admin_save_is_one_transaction_with_the_admins_own_writes(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The services' blocks join the change form's transaction: when a later step of the
    # save fails (here the inlines), the article the block created goes with it.
    from comptoir.catalogue.admin import ArticleAdmin

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("inlines failed")

    monkeypatch.setattr(ArticleAdmin, "save_related", fail)
    article = make_article("MODELE")
    with pytest.raises(RuntimeError, match="inlines failed"):
        admin_client.post(
            reverse("admin:catalogue_article_add"), article_form(article, code="NEUF")
        )
    assert not Article.objects.filter(code="NEUF").exists()
