"""The store list of a chain's hub: 50 stores a page with their tills counted in the same
query, searched by name, legal name, town or SIRET."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, store_update, till_create

STORES = reverse("backoffice:store")


def _chain(stores: range, tills: int) -> None:
    for s in stores:
        store = store_get_or_create(name=f"Magasin {s:03d}")
        store_update(pk=store.pk, city="Lyon" if s % 10 == 7 else "Paris")
        for t in range(1, tills + 1):
            till_create(store=store, name=f"Caisse {t}", prefix=f"M{s:03d}C{t}")


def _get(client: Client, **params: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(STORES, params)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.usefixtures("till")
def test_the_store_list_costs_the_same_queries_for_3_stores_and_for_120(
    manager: Client,
) -> None:
    _chain(range(1, 3), 2)
    manager.get(STORES)
    small, response = _get(manager)
    assert [s.till_count for s in response.context["page"]] == [2, 2, 1]
    _chain(range(3, 121), 5)
    big, response = _get(manager)
    assert big == small
    assert len(response.context["page"]) == 50
    assert "Page 1 sur 3" in response.content.decode()


@pytest.mark.usefixtures("till")
def test_the_store_list_is_paged_and_searched(manager: Client) -> None:
    _chain(range(1, 61), 1)
    first = [s.name for s in manager.get(STORES).context["page"]]
    second = [s.name for s in manager.get(STORES, {"page": "2"}).context["page"]]
    assert first[:2] == ["Magasin 001", "Magasin 002"]
    assert len(set(first + second)) == 61  # 60 and the main store
    lyon = manager.get(STORES, {"q": "lyon"}).context["page"]
    assert [s.name for s in lyon] == [f"Magasin {s:03d}" for s in range(7, 61, 10)]
    html = manager.get(STORES, {"q": "Magasin 04"}).content.decode()
    assert "Magasin 040" in html
    assert "Magasin 050" not in html
    assert "Aucun magasin." in manager.get(STORES, {"q": "Tombouctou"}).content.decode()


def test_an_account_of_one_store_still_goes_straight_to_it(manager: Client, till: Till) -> None:
    response = manager.get(STORES)
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:store_edit", args=[till.store_id])
