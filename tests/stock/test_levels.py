"""Stock level = the last count + the movements after it, whatever order facts arrive in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comptoir.lib.errors import ComptoirError, NotFoundError
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stock.models import InventoryCount, MovementKind, StockLevel, StockMovement
from comptoir.stock.selectors import article_stock_total, stock_level
from comptoir.stock.services import (
    movement_record,
    stock_count,
    stock_loss,
    stock_rebuild,
    stock_receive,
)
from comptoir.stores.services import store_get_or_create
from tests.factories import at, db_state, make_article, stock_snapshot


@pytest.fixture
def article(till):
    return make_article("A", "2.00")


def level(article, store):
    return stock_level(article_id=article.pk, store_id=store.pk)


def late_sale(article, store, quantity, when):
    """A sale made offline at ``when`` and synced later: its movement arrives now."""
    return movement_record(
        article_id=article.pk,
        store=store,
        kind=MovementKind.SALE,
        quantity=Decimal(-quantity),
        at=when,
    )


def assert_rebuild_agrees():
    incremental = stock_snapshot()
    stock_rebuild()
    assert stock_snapshot() == incremental


def test_a_sale_of_ten_from_forty_leaves_thirty(till, article):
    stock_receive(article="A", quantity=40, at=at(1))
    invoice_sell(lines=[SaleLine("A", 10)], at=at(2))
    assert level(article, till.store) == 30
    assert article_stock_total(article_id=article.pk) == 30
    assert_rebuild_agrees()


def test_two_sales_on_two_sides_from_forty_leave_twenty_five(till, article):
    stock_receive(article="A", quantity=40, at=at(1))
    invoice_sell(lines=[SaleLine("A", 10)], at=at(2, 10))
    late_sale(article, till.store, 5, at(2, 11))
    assert level(article, till.store) == 25
    assert_rebuild_agrees()


def test_a_sale_made_before_a_count_but_synced_after_it_does_not_undo_the_count(till, article):
    stock_receive(article="A", quantity=40, at=at(1))
    invoice_sell(lines=[SaleLine("A", 10)], at=at(2, 10))
    stock_count(article="A", quantity=50, at=at(2, 15))
    assert level(article, till.store) == 50
    late_sale(article, till.store, 5, at(2, 11))
    assert level(article, till.store) == 50
    assert_rebuild_agrees()


def test_a_sale_after_the_count_subtracts_from_it(till, article):
    stock_count(article="A", quantity=50, at=at(2, 15))
    invoice_sell(lines=[SaleLine("A", 4)], at=at(2, 16))
    late_sale(article, till.store, 1, at(2, 17))
    assert level(article, till.store) == 45
    assert_rebuild_agrees()


def test_an_older_count_arriving_late_changes_nothing(till, article):
    stock_count(article="A", quantity=50, at=at(3))
    invoice_sell(lines=[SaleLine("A", 2)], at=at(4))
    stock_count(article="A", quantity=7, at=at(2))
    assert level(article, till.store) == 48
    assert StockLevel.objects.get().count_id == InventoryCount.objects.get(counted_at=at(3)).pk
    assert_rebuild_agrees()


def test_a_newer_count_arriving_replays_the_movements_after_it(till, article):
    stock_receive(article="A", quantity=40, at=at(1))
    late_sale(article, till.store, 3, at(5))  # after the count below
    late_sale(article, till.store, 4, at(3))  # before it: ignored once counted
    stock_count(article="A", quantity=20, at=at(4))
    assert level(article, till.store) == 17
    assert_rebuild_agrees()


def test_a_movement_at_the_very_instant_of_a_count_is_part_of_the_count(till, article):
    stock_count(article="A", quantity=10, at=at(4))
    late_sale(article, till.store, 3, at(4))
    assert level(article, till.store) == 10
    assert_rebuild_agrees()


def test_a_sale_without_stock_gives_a_negative_level(till, article):
    invoice_sell(lines=[SaleLine("A", 3)])
    assert level(article, till.store) == -3
    stock_loss(article="A", quantity=2)
    assert level(article, till.store) == -5
    assert_rebuild_agrees()


def test_receipts_and_losses_are_signed_movements(till, article):
    from comptoir.catalogue.services import supplier_create

    supplier = supplier_create(code="F1", name="Grossiste")
    received = stock_receive(article="A", quantity="12", supplier="F1", note="BL 42")
    lost = stock_loss(article="A", quantity="2", note="casse")
    assert (received.kind, received.quantity, received.supplier) == (
        MovementKind.RECEIPT,
        Decimal(12),
        supplier,
    )
    assert (lost.kind, lost.quantity) == (MovementKind.LOSS, Decimal(-2))
    assert level(article, till.store) == 10


def test_weighed_articles_keep_exact_grams(till):
    cheese = make_article("FROM", "24.90", unit="kg")
    stock_receive(article="FROM", quantity="10.000")
    for _ in range(10):
        invoice_sell(lines=[SaleLine("FROM", "0.101")])
    stock_loss(article="FROM", quantity="0.001")
    assert level(cheese, till.store) == Decimal("8.989")
    assert_rebuild_agrees()


def test_levels_are_kept_per_store(till, article):
    other = store_get_or_create(name="Dépôt")
    stock_receive(article="A", quantity=10)
    stock_receive(article="A", quantity=5, store="Dépôt")
    stock_count(article="A", quantity=3, store="Dépôt")
    assert (level(article, till.store), level(article, other)) == (10, 3)
    assert article_stock_total(article_id=article.pk) == 13
    assert_rebuild_agrees()


def test_a_rebuild_from_scratch_restores_lost_levels(till, article):
    stock_receive(article="A", quantity=40, at=at(1))
    stock_count(article="A", quantity=30, at=at(2))
    invoice_sell(lines=[SaleLine("A", 1)], at=at(3))
    expected = stock_snapshot()
    StockLevel.objects.all().delete()
    assert stock_rebuild() == 1
    assert stock_snapshot() == expected
    assert level(article, till.store) == 29


@pytest.mark.parametrize(
    ("call", "kwargs", "keyword"),
    [
        (stock_receive, {"article": "A", "quantity": 0}, "nulle"),
        (stock_receive, {"article": "A", "quantity": -5}, "positive"),
        (stock_receive, {"article": "A", "quantity": "1.5"}, "entière"),
        (stock_receive, {"article": "A", "quantity": 1, "supplier": "X"}, "Fournisseur inconnu"),
        (stock_receive, {"article": "Z", "quantity": 1}, "Article inconnu"),
        (stock_receive, {"article": "A", "quantity": 1, "store": "Nulle part"}, "Magasin inconnu"),
        (stock_loss, {"article": "A", "quantity": -1}, "positive"),
        (stock_loss, {"article": "A", "quantity": 0}, "nulle"),
        (stock_count, {"article": "A", "quantity": -1}, "positive"),
        (stock_count, {"article": "A", "quantity": "2.5"}, "entière"),
        (stock_count, {"article": "Z", "quantity": 1}, "Article inconnu"),
    ],
)
def test_bad_stock_input_is_refused_in_french_and_writes_nothing(
    till, article, call, kwargs, keyword
):
    stock_receive(article="A", quantity=5)
    before = db_state()
    with pytest.raises(ComptoirError, match=keyword):
        call(**kwargs)
    assert db_state() == before


def test_a_count_dated_in_the_future_is_refused(till, article):
    with pytest.raises(ComptoirError, match="futur"):
        stock_count(article="A", quantity=1, at=timezone.now() + timedelta(hours=1))
    assert not InventoryCount.objects.exists()


def test_a_count_of_zero_is_allowed(till, article):
    stock_receive(article="A", quantity=5, at=at(1))
    stock_count(article="A", quantity=0, at=at(2))
    assert level(article, till.store) == 0


def test_stock_services_need_a_till_for_this_post_when_no_store_is_named(store):
    make_article("A")
    with pytest.raises(NotFoundError, match="Aucune caisse"):
        stock_receive(article="A", quantity=1)
    assert not StockMovement.objects.exists()


def test_a_transfer_moves_stock_from_one_store_to_the_other(till):
    from comptoir.catalogue.services import article_create
    from comptoir.stock.models import StockMovement
    from comptoir.stock.selectors import stock_level
    from comptoir.stock.services import stock_receive, stock_transfer
    from comptoir.stores.services import store_get_or_create

    article = article_create(code="TR", name="Transféré", sale_price="1.00")
    other = store_get_or_create(name="Dépôt")
    stock_receive(article="TR", quantity=12)
    out, into = stock_transfer(
        article="TR", quantity=5, from_store=till.store.name, to_store="Dépôt"
    )
    assert (out.quantity, into.quantity) == (-5, 5)
    assert stock_level(article_id=article.pk, store_id=till.store.pk) == 7
    assert stock_level(article_id=article.pk, store_id=other.pk) == 5
    assert article_stock_total(article_id=article.pk) == 12
    assert StockMovement.objects.filter(kind="transfer").count() == 2


def test_a_transfer_to_the_same_store_is_refused_and_moves_nothing(till):
    import pytest

    from comptoir.catalogue.services import article_create
    from comptoir.lib.errors import ValidationError
    from comptoir.stock.models import StockMovement
    from comptoir.stock.services import stock_transfer

    article_create(code="TR", name="Transféré", sale_price="1.00")
    with pytest.raises(ValidationError, match="deux magasins différents"):
        stock_transfer(
            article="TR", quantity=1, from_store=till.store.name, to_store=till.store.name
        )
    assert not StockMovement.objects.exists()
