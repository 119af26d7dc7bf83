"""The admin in process: every page renders, facts are read-only, references go through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.models import Article, Supplier
from comptoir.customers.models import Customer
from comptoir.lib.money import format_amount
from comptoir.lib.quantity import format_quantity
from comptoir.ops.sampledata import populate
from comptoir.sales.models import Invoice
from comptoir.stock.models import StockMovement
from comptoir.stock.selectors import article_stock_total
from comptoir.stores.models import Store, Till

FACTS = ("invoice", "invoiceline", "payment", "creditnote", "stockmovement", "inventorycount")


@pytest.fixture
def shop(till: Any) -> None:
    populate(days=1, articles=24, customers=6, sales_per_day=6)


def _url(model: type[Any], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_registered_model_lists_and_shows_a_row(shop: None, admin_client: Client) -> None:
    for model in admin.site._registry:
        response = admin_client.get(_url(model, "changelist"))
        assert response.status_code == 200, model
        row = model._default_manager.first()
        if row is not None:
            response = admin_client.get(_url(model, "change", row.pk))
            assert response.status_code == 200, model


def test_amounts_show_in_currency_units_and_articles_show_their_stock(
    shop: None, admin_client: Client
) -> None:
    invoice = Invoice.objects.order_by("validated_at").first()
    assert invoice is not None
    content = admin_client.get(_url(Invoice, "changelist")).content.decode()
    assert invoice.number in content
    amount = f"{invoice.total_incl_tax // 100}.{invoice.total_incl_tax % 100:02d}"
    assert amount in content
    article = Article.objects.get(code="FL001")
    page = admin_client.get(_url(Article, "changelist"), {"q": "FL001"}).content.decode()
    assert f"{article.sale_price // 100}.{article.sale_price % 100:02d}" in page
    assert f">{format_quantity(article_stock_total(article_id=article.pk))}<" in page


def test_facts_cannot_be_added_changed_nor_deleted(shop: None, admin_client: Client) -> None:
    for model in admin.site._registry:
        if model._meta.model_name in FACTS:
            assert admin_client.get(_url(model, "add")).status_code == 403
    invoice = Invoice.objects.first()
    assert invoice is not None
    assert admin_client.post(_url(Invoice, "delete", invoice.pk)).status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_an_article_added_in_the_admin_goes_through_the_service(
    shop: None, admin_client: Client
) -> None:
    response = admin_client.post(
        _url(Article, "add"),
        {
            "code": "NEW1",
            "name": "Confiture de figues 370 g",
            "sale_price": "3,45",
            "vat_rate": "5.5",
            "cost": "1.80",
            "unit": "piece",
            "alert_threshold": "4",
            "new_barcodes": "3760000000000",
            "barcodes-TOTAL_FORMS": "0",
            "barcodes-INITIAL_FORMS": "0",
        },
    )
    errors = response.context["adminform"].form.errors if response.status_code == 200 else None
    assert response.status_code == 302, errors
    article = Article.objects.get(code="NEW1")
    assert (article.sale_price, article.cost) == (345, 180)
    assert list(article.barcodes.values_list("code", flat=True)) == ["3760000000000"]


def test_a_bad_siren_is_refused_on_the_form(shop: None, admin_client: Client) -> None:
    supplier = Supplier.objects.first()
    assert supplier is not None
    response = admin_client.post(
        _url(Supplier, "change", supplier.pk),
        {"name": supplier.name, "siren": "123456789", "archived": ""},
    )
    assert response.status_code == 200
    assert "SIREN invalide" in response.content.decode()


def test_archiving_replaces_deleting(shop: None, admin_client: Client) -> None:
    customer = Customer.objects.first()
    assert customer is not None
    url = _url(Customer, "changelist")
    response = admin_client.post(
        url, {"action": "archive", "_selected_action": [str(customer.pk)]}, follow=True
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.archived
    assert admin_client.get(_url(Customer, "delete", customer.pk)).status_code == 403
    assert StockMovement.objects.exists()


def test_an_article_changed_in_the_admin_keeps_its_barcodes_and_takes_the_new_price(
    shop: None, admin_client: Client
) -> None:
    article = Article.objects.get(code="BO001")
    response = admin_client.post(
        _url(Article, "change", article.pk),
        {
            "name": article.name,
            "category": str(article.category_id),
            "supplier": str(article.supplier_id),
            "sale_price": "1.40",
            "vat_rate": str(article.vat_rate),
            "cost": format_amount(article.cost, "EUR"),
            "unit": article.unit,
            "alert_threshold": str(article.alert_threshold),
            "new_barcodes": "",
            "barcodes-TOTAL_FORMS": "1",
            "barcodes-INITIAL_FORMS": "1",
        },
    )
    errors = response.context["adminform"].form.errors if response.status_code == 200 else None
    assert response.status_code == 302, errors
    article.refresh_from_db()
    assert article.sale_price == 140
    assert article.barcodes.count() == 1


def test_suppliers_and_customers_added_and_changed_in_the_admin_go_through_the_services(
    shop: None, admin_client: Client
) -> None:
    contact = {"phone": "", "email": "", "address": "", "siren": "", "vat_number": ""}
    response = admin_client.post(
        _url(Supplier, "add"), {"code": "NEUF", "name": "Nouveau fournisseur", **contact}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Supplier.objects.get(code="NEUF").name == "Nouveau fournisseur"

    response = admin_client.post(
        _url(Customer, "add"), {"code": "", "name": "Mme Durand", **contact}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(name="Mme Durand")
    assert customer.code.startswith("CL-")  # generated by customer_create

    response = admin_client.post(
        _url(Customer, "change", customer.pk),
        {"name": "Mme Durand", **contact, "email": "durand@example.fr"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.email == "durand@example.fr"


def test_stores_and_tills_are_read_only_in_a_tills_admin(
    shop: None, admin_client: Client, settings: Any
) -> None:
    store = Store.objects.first()
    assert admin_client.get(_url(Store, "change", store.pk)).status_code == 200
    settings.COMPTOIR_ROLE = "node"
    page = admin_client.get(_url(Store, "change", store.pk))
    assert page.status_code == 200  # shown, but without a form to save
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(_url(Till, "add")).status_code == 403
    response = admin_client.post(_url(Store, "change", store.pk), {"name": "Autre nom"})
    assert response.status_code == 403
    store.refresh_from_db()
    assert store.name != "Autre nom"
