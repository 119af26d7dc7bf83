"""Stock from the back office: receipts of several lines, inventory sheets, history."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.models import Supplier
from comptoir.catalogue.services import supplier_create
from comptoir.stock.models import InventoryCount, StockMovement
from comptoir.stock.selectors import stock_level
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from tests.factories import make_article, twin_from_another_till

pytestmark = pytest.mark.django_db

RECEIPT = reverse("backoffice:stock_receipt")
TWIN = "Code en double : créé sur deux caisses hors ligne, archivez l'un des deux"
COUNT = reverse("backoffice:stock_count")


def test_a_receipt_of_several_lines(manager: Client, till: Till) -> None:
    pain, lait = make_article("PAIN"), make_article("LAIT")
    moulin = supplier_create(code="MOULIN", name="Moulin")
    response = manager.post(
        RECEIPT,
        {
            "supplier": str(moulin.pk),
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


def twin_suppliers() -> tuple[Supplier, Supplier]:
    """Two active suppliers coded MOULIN, as two offline tills created them."""
    older = supplier_create(code="MOULIN", name="Moulin du port")
    return older, twin_from_another_till(older, name="Moulin de la gare")


def test_twin_suppliers_are_told_apart_in_the_receipt_form(manager: Client, till: Till) -> None:
    older, newer = twin_suppliers()
    supplier_create(code="FERME", name="Ferme Martin")
    choices = dict(manager.get(RECEIPT).context["form"].fields["supplier"].choices)
    assert choices[str(older.pk)].startswith("Moulin du port (MOULIN, créé le ")
    assert choices[str(newer.pk)].startswith("Moulin de la gare (MOULIN, créé le ")
    assert [label for label in choices.values() if "FERME" in label] == ["Ferme Martin (FERME)"]


def test_the_twin_hint_is_translated(manager: Client, till: Till) -> None:
    _older, newer = twin_suppliers()
    manager.cookies["django_language"] = "en"
    choices = dict(manager.get(RECEIPT).context["form"].fields["supplier"].choices)
    assert choices[str(newer.pk)].startswith("Moulin de la gare (MOULIN, created ")


def test_twins_with_one_name_are_still_told_apart(manager: Client, till: Till) -> None:
    older = supplier_create(code="MOULIN", name="Moulin")
    newer = twin_from_another_till(older)
    choices = dict(manager.get(RECEIPT).context["form"].fields["supplier"].choices)
    assert choices[str(older.pk)] != choices[str(newer.pk)]
    assert choices[str(newer.pk)].endswith(f"#{newer.pk.hex[-6:]}")


@pytest.mark.parametrize("chosen", [0, 1])
def test_a_receipt_goes_to_the_twin_supplier_chosen(
    manager: Client, till: Till, chosen: int
) -> None:
    make_article("PAIN")
    supplier = twin_suppliers()[chosen]
    response = manager.post(
        RECEIPT,
        {
            "supplier": str(supplier.pk),
            "store": "Magasin principal",
            "article": ["PAIN"],
            "quantity": ["10"],
        },
    )
    assert response.status_code == 302
    assert StockMovement.objects.get().supplier_id == supplier.pk


def test_a_receipt_refuses_a_supplier_given_by_code(manager: Client, till: Till) -> None:
    make_article("PAIN")
    supplier_create(code="MOULIN", name="Moulin")
    response = manager.post(
        RECEIPT,
        {
            "supplier": "MOULIN",
            "store": "Magasin principal",
            "article": ["PAIN"],
            "quantity": ["1"],
        },
    )
    assert response.status_code == 200
    assert not StockMovement.objects.exists()


def test_one_more_receipt_line(manager: Client, till: Till) -> None:
    response = manager.get(reverse("backoffice:stock_receipt_line"), {"n": "9"})
    assert 'for="article-9"' in response.content.decode()


def test_an_inventory_sheet_counts_only_the_filled_cells(manager: Client, till: Till) -> None:
    pain = make_article("PAIN", category="Boulangerie")
    make_article("BAGUETTE", category="Boulangerie")
    make_article("LAIT", category="Crèmerie")
    stock_receive(article="PAIN", quantity=10)
    sheet = manager.get(COUNT, {"store": "Magasin principal", "search": "A"})
    rows = [a for a, _level, _entered in sheet.context["articles"]]
    assert [a.code for a in rows] == ["BAGUETTE", "LAIT", "PAIN"]
    response = manager.post(
        COUNT,
        {
            "store": "Magasin principal",
            "search": "A",
            "article": [str(a.pk) for a in rows],
            "counted": ["", "", "7"],
        },
    )
    assert response.status_code == 302
    assert stock_level(article_id=pain.pk, store_id=till.store_id) == 7
    assert InventoryCount.objects.count() == 1


def test_each_twin_article_gets_its_own_line_and_count(manager: Client, till: Till) -> None:
    jus = make_article("JUS")
    twin = twin_from_another_till(jus, name="Jus (caisse 2)")
    eau = make_article("EAU")
    sheet = manager.get(COUNT, {"store": "Magasin principal"})
    assert [a.pk for a, _level, _entered in sheet.context["articles"]] == [eau.pk, jus.pk, twin.pk]
    assert sheet.context["twins"] == {jus.pk, twin.pk}
    assert sheet.content.decode().count(TWIN) == 2

    response = manager.post(
        COUNT,
        {
            "store": "Magasin principal",
            "article": [str(eau.pk), str(jus.pk), str(twin.pk)],
            "counted": ["", "3", "5"],
        },
    )

    assert response.status_code == 302
    assert stock_level(article_id=jus.pk, store_id=till.store_id) == 3
    assert stock_level(article_id=twin.pk, store_id=till.store_id) == 5
    assert stock_level(article_id=eau.pk, store_id=till.store_id) == 0


def test_a_refused_sheet_keeps_each_twins_entry(manager: Client, till: Till) -> None:
    jus = make_article("JUS")
    twin = twin_from_another_till(jus, name="Jus (caisse 2)")
    response = manager.post(
        COUNT,
        {
            "store": "Magasin principal",
            "article": [str(jus.pk), str(twin.pk)],
            "counted": ["3", "x"],
        },
    )
    assert response.status_code == 200
    assert "Ligne 2 (JUS)" in response.content.decode()
    assert [entered for _a, _level, entered in response.context["articles"]] == ["3", "x"]
    assert not InventoryCount.objects.exists()


def test_an_inventory_with_a_bad_quantity_records_nothing(manager: Client, till: Till) -> None:
    pain = make_article("PAIN")
    response = manager.post(
        COUNT, {"store": "Magasin principal", "article": [str(pain.pk)], "counted": ["1,5"]}
    )
    assert response.status_code == 200
    assert "Ligne 1 (PAIN) : Quantité « 1,5 »" in unescape(response.content.decode())
    assert "la quantité doit être entière" in response.content.decode()
    assert not InventoryCount.objects.exists()


def test_history_shows_the_running_level(cashier: Client, till: Till) -> None:
    pain = make_article("PAIN")
    stock_receive(article="PAIN", quantity=10)
    stock_receive(article="PAIN", quantity=5)
    response = cashier.get(reverse("backoffice:stock_history", args=[pain.pk]))
    levels = [entry.level for entry, _kind in response.context["entries"]]
    assert levels == [Decimal(15), Decimal(10)]  # newest first
