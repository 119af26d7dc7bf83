"""Numbers beyond the plausibility bounds (``core.bounds``) in the back office: the form
comes back with the French reason, never a 500, and nothing is written."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.models import Article
from comptoir.stock.models import InventoryCount
from comptoir.stores.models import Till
from tests.backoffice.test_articles import form
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode()).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("sale_price", "99999999999999999999", "il ne peut pas dépasser 1 000 000 000,00 €"),
        ("cost", "1000000000000", "Montant « 1000000000000 » : il ne peut pas dépasser"),
        ("alert_threshold", "5000000000", "Quantité « 5000000000 » : elle ne peut pas dépasser"),
    ],
)
def test_an_article_field_beyond_the_bounds_is_refused(
    manager: Client, field: str, typed: str, message: str
) -> None:
    response = manager.post(reverse("backoffice:article_create"), form(**{field: typed}))
    assert response.status_code == 200
    assert message in _page(response)
    assert not Article.objects.filter(code="CAF250").exists()


def test_an_inventory_count_beyond_the_bounds_records_nothing(manager: Client, till: Till) -> None:
    pain = make_article("PAIN")
    response = manager.post(
        reverse("backoffice:stock_count"),
        {"store": "Magasin principal", "article": [str(pain.pk)], "counted": ["1" + "0" * 25]},
    )
    assert response.status_code == 200
    assert "Ligne 1 (PAIN) : Quantité « 1" in _page(response)
    assert "elle ne peut pas dépasser 1 000 000 000" in _page(response)
    assert not InventoryCount.objects.exists()
