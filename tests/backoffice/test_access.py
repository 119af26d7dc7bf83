"""Who sees what: managers everything, cashiers the article list and stock, anonymous nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.services import category_get_or_create, supplier_create
from comptoir.customers.services import customer_create
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.sales.services.credit_notes import credit_note_issue
from comptoir.stores.models import Till
from tests.factories import make_article

pytestmark = pytest.mark.django_db

CASHIER_PAGES = ["articles", "stock"]
MANAGER_PAGES = [
    "article_create",
    "import_articles",
    "categories",
    "category_create",
    "customers",
    "customer_create",
    "suppliers",
    "supplier_create",
    "stock_receipt",
    "stock_count",
    "invoices",
    "credit_notes",
]


@pytest.fixture
def data(till: Till) -> dict[str, str]:
    article = make_article("PAIN", "1.20", category="Boulangerie")
    supplier = supplier_create(code="MOULIN", name="Moulin du port")
    customer = customer_create(name="Boulangerie Martin")
    category = category_get_or_create(name="Boulangerie")
    invoice = invoice_sell(lines=[SaleLine("PAIN", 3)], cashier="caisse")
    note = credit_note_issue(invoice_number=invoice.number, reason="retour")
    return {
        "article": str(article.pk),
        "supplier": str(supplier.pk),
        "customer": str(customer.pk),
        "category": str(category.pk),
        "invoice": invoice.number,
        "note": str(note.pk),
    }


def object_pages(data: dict[str, str]) -> list[str]:
    return [
        reverse("backoffice:article_edit", args=[data["article"]]),
        reverse("backoffice:supplier_edit", args=[data["supplier"]]),
        reverse("backoffice:customer_edit", args=[data["customer"]]),
        reverse("backoffice:category_edit", args=[data["category"]]),
        reverse("backoffice:invoice_detail", args=[data["invoice"]]),
        reverse("backoffice:credit_note_detail", args=[data["note"]]),
        reverse("backoffice:stock_count") + "?store=Magasin+principal",
    ]


def read_pages(data: dict[str, str]) -> list[str]:
    return [
        *(reverse(f"backoffice:{name}") for name in CASHIER_PAGES),
        reverse("backoffice:stock_history", args=[data["article"]]),
    ]


def test_manager_gets_every_page(manager: Client, data: dict[str, str]) -> None:
    pages = [
        *read_pages(data),
        *(reverse(f"backoffice:{n}") for n in MANAGER_PAGES),
        *object_pages(data),
    ]
    for url in pages:
        response = manager.get(url)
        assert response.status_code == 200, url


def test_cashier_reads_articles_and_stock_only(cashier: Client, data: dict[str, str]) -> None:
    for url in read_pages(data):
        assert cashier.get(url).status_code == 200, url
    for url in [*(reverse(f"backoffice:{n}") for n in MANAGER_PAGES), *object_pages(data)]:
        assert cashier.get(url).status_code == 403, url


def test_cashier_sees_no_edit_link(cashier: Client, data: dict[str, str]) -> None:
    page = cashier.get(reverse("backoffice:articles")).content.decode()
    assert "PAIN" in page
    assert reverse("backoffice:article_edit", args=[data["article"]]) not in page
    assert reverse("backoffice:article_create") not in page


def test_cashier_cannot_archive(cashier: Client, data: dict[str, str]) -> None:
    url = reverse("backoffice:article_archive", args=[data["article"]])
    assert cashier.post(url).status_code == 403


def test_anonymous_is_sent_to_the_login(anonymous: Client, data: dict[str, str]) -> None:
    for url in [*read_pages(data), *(reverse(f"backoffice:{n}") for n in MANAGER_PAGES)]:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_invoice_detail_links_to_reprints_and_credit_note(
    manager: Client, data: dict[str, str]
) -> None:
    number = data["invoice"]
    page = manager.get(reverse("backoffice:invoice_detail", args=[number])).content.decode()
    assert f"/caisse/ticket/{number}/" in page
    assert f"/caisse/facture/{number}/" in page
    assert f"/caisse/avoir/{number}/" in page


def test_unknown_invoice_is_a_404(manager: Client, till: Till) -> None:
    response = manager.get(reverse("backoffice:invoice_detail", args=["C9-2026-000001"]))
    assert response.status_code == 404
