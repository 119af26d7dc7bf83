"""Stock from the back office: receipts of several lines, inventory sheets, history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.services import supplier_create
from comptoir.core.models import Till
from comptoir.stock.models import InventoryCount, StockMovement
from comptoir.stock.selectors import stock_level
from comptoir.stock.services import stock_receive
from tests.factories import make_article

pytestmark = pytest.mark.django_db

RECEIPT = reverse("backoffice:stock_receipt")
COUNT = reverse("backoffice:stock_count")


def test_a_receipt_of_several_lines(manager: Client, till: Till) -> None:
    pain, lait = make_article("PAIN"), make_article("LAIT")
    supplier_create(code="MOULIN", name="Moulin")
    response = manager.post(
        RECEIPT,
        {
            "supplier": "MOULIN",
            "store": "Magasin principal",
            "note": "BL 42",
            "article": ["PAIN", "", "LAIT"],
            "quantity": ["10", "", "4"],
        },
    )
    assert response.status_code == 302
    assert stock_level(article_id=pain.pk, store_id=till.store_id) == 10
    assert stock_level(article_id=lait.pk, store_id=till.store_id) == 4
    assert set(StockMovement.objects.values_list("supplier__code", flat=True)) == {"MOULIN"}


def test_a_receipt_with_one_bad_line_records_nothing(manager: Client, till: Till) -> None:
    make_article("PAIN")
    response = manager.post(
        RECEIPT,
        {
            "supplier": "",
            "store": "Magasin principal",
            "article": ["PAIN", "INCONNU"],
            "quantity": ["10", "2"],
        },
    )
    assert response.status_code == 200
    assert "Ligne 2 (INCONNU) : Article inconnu" in response.content.decode()
    assert not StockMovement.objects.exists()
    assert 'value="INCONNU"' in response.content.decode()  # what was typed stays


def test_one_more_receipt_line(manager: Client, till: Till) -> None:
    response = manager.get(reverse("backoffice:stock_receipt_line"), {"n": "9"})
    assert 'for="article-9"' in response.content.decode()


def test_an_inventory_sheet_counts_only_the_filled_cells(manager: Client, till: Till) -> None:
    pain = make_article("PAIN", category="Boulangerie")
    make_article("BAGUETTE", category="Boulangerie")
    make_article("LAIT", category="Crèmerie")
    stock_receive(article="PAIN", quantity=10)
    sheet = manager.get(COUNT, {"store": "Magasin principal", "search": "A"})
    codes = [a.code for a, _level, _entered in sheet.context["articles"]]
    assert codes == ["BAGUETTE", "LAIT", "PAIN"]
    response = manager.post(
        COUNT,
        {
            "store": "Magasin principal",
            "search": "A",
            "code": ["BAGUETTE", "LAIT", "PAIN"],
            "counted": ["", "", "7"],
        },
    )
    assert response.status_code == 302
    assert stock_level(article_id=pain.pk, store_id=till.store_id) == 7
    assert InventoryCount.objects.count() == 1


def test_an_inventory_with_a_bad_quantity_records_nothing(manager: Client, till: Till) -> None:
    make_article("PAIN")
    response = manager.post(
        COUNT, {"store": "Magasin principal", "code": ["PAIN"], "counted": ["1,5"]}
    )
    assert response.status_code == 200
    assert "la quantité doit être entière" in response.content.decode()
    assert not InventoryCount.objects.exists()


def test_history_shows_the_running_level(cashier: Client, till: Till) -> None:
    pain = make_article("PAIN")
    stock_receive(article="PAIN", quantity=10)
    stock_receive(article="PAIN", quantity=5)
    response = cashier.get(reverse("backoffice:stock_history", args=[pain.pk]))
    levels = [entry.level for entry, _kind in response.context["entries"]]
    assert levels == [Decimal(15), Decimal(10)]  # newest first
