"""The closings pages (issue 15): managers only, by period and till, printable in A4 and
80 mm; the hub shows every post's closings, within the account's stores."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from comptoir.accounts.services import account_store_set
from comptoir.closings.models import Closing
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.services import store_get_or_create, till_create
from tests.factories import at, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(till):
    make_article("PAIN", "1.20", vat="5.5")
    invoice_sell(lines=[SaleLine("PAIN", 2)], at=at(2))
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(1, month=4))
    # Another post of another store, whose closings reached this hub.
    other = till_create(
        store=store_get_or_create(name="Dépôt", currency="EUR"),
        name="Dépôt 1",
        prefix="D1",
        node_id="autre-poste",
    )
    invoice_sell(lines=[SaleLine("PAIN", 5)], till=other, at=at(2))
    invoice_sell(lines=[SaleLine("PAIN", 5)], till=other, at=at(3))
    return Closing.objects.get(till=till, kind="day", period_start="2026-03-02")


def test_a_manager_sees_the_closings_of_every_post_by_period(closed, manager, settings):
    settings.COMPTOIR_ROLE = "hub"
    page = manager.get(reverse("backoffice:closings")).content.decode()
    assert "02/03/2026" in page
    assert "<td>D1</td>" in page
    assert "<td>C1</td>" in page
    months = manager.get(reverse("backoffice:closings") + "?kind=month&till=C1").content.decode()
    assert "03/2026" in months
    assert "<td>D1</td>" not in months


def test_a_closing_prints_on_a4_and_80_mm(closed, manager):
    url = reverse("backoffice:closing_detail", args=[closed.pk])
    detail = manager.get(url).content.decode()
    assert "Grand total perpétuel" in detail
    assert "2,40" in detail
    assert 'class="print-page print-a4"' in manager.get(url + "?print=a4").content.decode()
    assert 'class="print-page print-ticket"' in manager.get(url + "?print=80").content.decode()


def test_a_cashier_cannot_see_the_closings(closed, cashier):
    assert cashier.get(reverse("backoffice:closings")).status_code in (302, 403)
    url = reverse("backoffice:closing_detail", args=[closed.pk])
    assert cashier.get(url).status_code in (302, 403)


def test_a_manager_of_one_store_sees_only_its_closings(closed, manager, settings):
    settings.COMPTOIR_ROLE = "hub"
    user = get_user_model().objects.get(username="gerant")
    account_store_set(user=user, store=closed.store)
    page = manager.get(reverse("backoffice:closings")).content.decode()
    assert "<td>C1</td>" in page
    # (as a cell: a bare "D1" turns up by chance in the page's random CSRF token)
    assert "<td>D1</td>" not in page
    other = Closing.objects.filter(till__prefix="D1")[0]
    assert manager.get(reverse("backoffice:closing_detail", args=[other.pk])).status_code == 404


def test_on_a_chains_hub_the_post_filter_is_a_field_not_a_menu_of_every_till(
    closed, manager, settings
):
    from comptoir.backoffice.views.common import TILL_MENU_LIMIT

    settings.COMPTOIR_ROLE = "hub"
    store = store_get_or_create(name="Magasin Ter", currency="EUR")
    for n in range(TILL_MENU_LIMIT):
        till_create(store=store, name=f"Caisse T{n}", prefix=f"T{n}")
    page = manager.get(reverse("backoffice:closings")).content.decode()
    assert "Caisse T1 (T1)" not in page
    assert '<input type="search" name="till"' in page
    only = manager.get(reverse("backoffice:closings"), {"till": "d1"}).content.decode()
    assert "<td>D1</td>" in only
    assert "<td>C1</td>" not in only
