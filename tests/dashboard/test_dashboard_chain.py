"""The dashboard of a chain's hub: the same queries for 3 stores and for 30, a till menu
that does not list thousands of tills, low stock found without a query per store."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.catalogue.services import article_update
from comptoir.dashboard.forms import TILL_MENU_LIMIT
from comptoir.dashboard.selectors import low_stock
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create, till_create
from tests.factories import make_article

INDEX = reverse("dashboard:index")


def _chain(stores: range, tills: int) -> None:
    for s in stores:
        store = store_get_or_create(name=f"Magasin {s:02d}")
        for t in range(1, tills + 1):
            till_create(store=store, name=f"Caisse {t}", prefix=f"M{s:02d}C{t}")


def _queries(client: Client, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INDEX, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def low(till: Till) -> None:
    """Two articles under their threshold; SEL never received anywhere."""
    make_article("PAIN", "1.20")
    make_article("SEL", "0.90")
    article_update(code="PAIN", alert_threshold="10")
    article_update(code="SEL", alert_threshold="5")
    stock_receive(article="PAIN", quantity="4")


@pytest.mark.usefixtures("low")
def test_the_dashboard_costs_the_same_queries_for_3_stores_and_for_30(
    manager: Client, settings
) -> None:
    settings.COMPTOIR_ROLE = "hub"
    _chain(range(1, 3), 2)
    manager.get(INDEX)
    small = _queries(manager)
    _chain(range(3, 31), 5)
    # One fewer when the till menu waits for a store (no till query then).
    assert _queries(manager) <= small
    one_store = Store.objects.get(name="Magasin 07")
    assert _queries(manager, {"store": str(one_store.pk)}) <= small


def test_the_till_menu_waits_for_a_store_when_there_are_many_tills(
    manager: Client, till: Till, settings
) -> None:
    settings.COMPTOIR_ROLE = "hub"
    few = manager.get(INDEX).context["form"]
    assert till in list(few.fields["till"].queryset)  # a small shop: every till offered
    _chain(range(1, TILL_MENU_LIMIT // 5 + 2), 5)
    response = manager.get(INDEX)
    assert list(response.context["form"].fields["till"].queryset) == []
    assert "Choisissez d’abord un magasin" in response.content.decode()
    store = Store.objects.get(name="Magasin 03")
    chosen = manager.get(INDEX, {"store": str(store.pk)}).context["form"]
    assert [t.prefix for t in chosen.fields["till"].queryset] == [f"M03C{t}" for t in range(1, 6)]
    # A till of another store may still be asked for directly (its store is then implied).
    other = Till.objects.get(prefix="M04C2")
    by_till = manager.get(INDEX, {"till": str(other.pk)})
    assert not by_till.context["form"].errors
    assert [t.prefix for t in by_till.context["form"].fields["till"].queryset][1] == "M04C2"


@pytest.mark.usefixtures("low")
def test_low_stock_names_each_store_an_article_never_reached(till: Till) -> None:
    _chain(range(1, 4), 1)
    rows = low_stock(store_id=None)
    assert [(r["code"], r["store"], r["quantity"]) for r in rows] == [
        ("PAIN", "Magasin 01", 0),  # never received there: 0 of 10
        ("PAIN", "Magasin 02", 0),
        ("PAIN", "Magasin 03", 0),
        ("PAIN", "Magasin principal", 4),
        ("SEL", "Magasin 01", 0),
        ("SEL", "Magasin 02", 0),
        ("SEL", "Magasin 03", 0),
        ("SEL", "Magasin principal", 0),
    ]
    assert [r["code"] for r in low_stock(store_id=till.store_id)] == ["PAIN", "SEL"]
    assert len(low_stock(store_id=None, limit=3)) == 3


def _options(html: str) -> list[tuple[str, bool, str]]:
    import re

    select = html[html.index('<select name="store"') :]
    select = select[: select.index("</select>")]
    return [
        (value, bool(selected), name)
        for value, selected, name in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select
        )
    ]


def test_the_store_menu_says_what_djangos_widget_said(manager: Client, till: Till) -> None:
    """The menu is drawn from one list of values (the widget's template per option took
    a quarter of a second for 2,000 stores): the same options, the same one selected."""
    from comptoir.dashboard.forms import ScopeForm

    _chain(range(1, 4), 1)
    annex = Store.objects.get(name="Magasin 02")
    for params in ({}, {"store": str(annex.pk)}):
        html = manager.get(INDEX, params).content.decode()
        form = ScopeForm(params)
        form.is_valid()
        assert _options(html) == _options(str(form["store"])), params
    assert ("", True, "Tous les magasins") in _options(manager.get(INDEX).content.decode())
