"""Customers, suppliers and categories: lists with search, create and edit."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.models import Category, Supplier
from comptoir.catalogue.services import category_get_or_create, supplier_create
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_create
from comptoir.stores.models import Till
from tests.factories import twin_from_another_till

pytestmark = pytest.mark.django_db


def test_customer_create_checks_the_siren(manager: Client, till: Till) -> None:
    url = reverse("backoffice:customer_create")
    bad = manager.post(url, {"name": "Boulangerie Martin", "siren": "123456789"})
    assert "SIREN invalide" in bad.content.decode()
    assert not Customer.objects.exists()
    good = manager.post(url, {"name": "Boulangerie Martin", "siren": "732829320"})
    assert good.status_code == 302
    customer = Customer.objects.get()
    assert customer.siren == "732829320"
    assert customer.code.startswith("CL-")


def test_customer_edit_and_search(manager: Client, till: Till) -> None:
    customer = customer_create(name="Boulangerie Martin", email="martin@example.fr")
    customer_create(name="Café du port")
    url = reverse("backoffice:customer_edit", args=[customer.pk])
    initial = manager.get(url).context["form"].initial
    data = {k: v for k, v in initial.items() if k != "archived" and v is not None}
    response = manager.post(url, {**data, "phone": "01 23 45 67 89"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "01 23 45 67 89"
    listing = manager.get(reverse("backoffice:customers"), {"q": "martin"})
    assert [c.name for c in listing.context["page"]] == ["Boulangerie Martin"]


def test_customer_edit_refuses_a_bad_email(manager: Client, till: Till) -> None:
    customer = customer_create(name="Martin")
    url = reverse("backoffice:customer_edit", args=[customer.pk])
    response = manager.post(url, {"name": "Martin", "email": "pas-un-mail"})
    assert "Adresse e-mail invalide" in response.content.decode()
    customer.refresh_from_db()
    assert customer.email == ""


def test_supplier_create_edit_archive(manager: Client, till: Till) -> None:
    response = manager.post(
        reverse("backoffice:supplier_create"), {"code": "MALONGO", "name": "Cafés Malongo"}
    )
    assert response.status_code == 302
    supplier = Supplier.objects.get(code="MALONGO")
    url = reverse("backoffice:supplier_edit", args=[supplier.pk])
    manager.post(url, {"name": "Cafés Malongo SA", "archived": "on"})
    supplier.refresh_from_db()
    assert supplier.name == "Cafés Malongo SA"
    assert supplier.archived
    assert list(manager.get(reverse("backoffice:suppliers")).context["page"]) == []


def test_supplier_code_is_required(manager: Client, till: Till) -> None:
    response = manager.post(reverse("backoffice:supplier_create"), {"name": "Sans code"})
    assert response.status_code == 200
    assert not Supplier.objects.exists()


def test_category_create_rename_and_duplicate(manager: Client, till: Till) -> None:
    url = reverse("backoffice:category_create")
    assert manager.post(url, {"name": "Boulangerie"}).status_code == 302
    duplicate = manager.post(url, {"name": "boulangerie"})
    assert "Une catégorie s&#x27;appelle déjà" in duplicate.content.decode()
    category = Category.objects.get()
    edit = reverse("backoffice:category_edit", args=[category.pk])
    assert manager.post(edit, {"name": "Boulangerie fine"}).status_code == 302
    category.refresh_from_db()
    assert category.name == "Boulangerie fine"
    listing = manager.get(reverse("backoffice:categories"), {"q": "fine"})
    assert [c.name for c in listing.context["page"]] == ["Boulangerie fine"]


def test_supplier_list_search(manager: Client, till: Till) -> None:
    supplier_create(code="MALONGO", name="Cafés Malongo")
    supplier_create(code="LU", name="Biscuits LU")
    category_get_or_create(name="x")
    page = manager.get(reverse("backoffice:suppliers"), {"q": "malo"}).context["page"]
    assert [s.code for s in page] == ["MALONGO"]


def test_editing_the_newer_supplier_or_customer_twin_changes_that_twin(
    manager: Client, till: Till
) -> None:
    for first, edit in (
        (supplier_create(code="VERGER", name="Verger"), "backoffice:supplier_edit"),
        (customer_create(code="DUPONT", name="M. Dupont"), "backoffice:customer_edit"),
    ):
        newer = twin_from_another_till(first, name=f"{first.name} (caisse 2)")
        url = reverse(edit, args=[newer.pk])
        initial = manager.get(url).context["form"].initial
        data = {k: v for k, v in initial.items() if k != "archived" and v is not None}
        assert manager.post(url, {**data, "phone": "01 23 45 67 89"}).status_code == 302
        newer.refresh_from_db()
        first.refresh_from_db()
        assert (newer.phone, first.phone) == ("01 23 45 67 89", "")


TWIN = "Code en double : créé sur deux caisses hors ligne, archivez l'un des deux"


@pytest.mark.parametrize(
    ("create", "edit", "listing"),
    [
        (supplier_create, "backoffice:supplier_edit", "backoffice:suppliers"),
        (customer_create, "backoffice:customer_edit", "backoffice:customers"),
    ],
)
def test_twin_codes_are_marked_in_the_list_until_one_is_archived(
    manager: Client, till: Till, create, edit, listing
) -> None:
    first = create(code="VERGER", name="Verger")
    create(code="MOULIN", name="Moulin")
    newer = twin_from_another_till(first, name="Verger (caisse 2)")
    page = manager.get(reverse(listing))
    assert [(c.name, c.is_twin) for c in page.context["page"]] == [
        ("Moulin", False),
        ("Verger", True),
        ("Verger (caisse 2)", True),
    ]
    assert page.content.decode().count(TWIN) == 2

    initial = manager.get(reverse(edit, args=[newer.pk])).context["form"].initial
    data = {k: v for k, v in initial.items() if k != "archived" and v is not None}
    manager.post(reverse(edit, args=[newer.pk]), {**data, "archived": "on"})
    assert TWIN not in manager.get(reverse(listing), {"archived": "all"}).content.decode()


def test_the_twin_mark_of_a_contact_list_is_translated(manager: Client, till: Till) -> None:
    first = supplier_create(code="VERGER", name="Verger")
    twin_from_another_till(first, name="Verger (caisse 2)")
    manager.cookies["django_language"] = "en"
    body = manager.get(reverse("backoffice:suppliers")).content.decode()
    assert body.count("Duplicate code: created on two offline tills, archive one of them") == 2


def test_a_supplier_form_shows_every_field_in_error_at_once(manager: Client, till: Till) -> None:
    response = manager.post(
        reverse("backoffice:supplier_create"),
        {"code": "MOULIN", "name": "Moulin", "email": "pas-un-mail", "siren": "123456789"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "siren"}
    page = response.content.decode()
    assert "SIREN invalide" in page
    # Named on top of the form, where the page opens.
    assert '<a href="#id_email">E-mail</a>' in page
    assert not Supplier.objects.exists()
