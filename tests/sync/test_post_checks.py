"""A post refuses, before validating, what the hub's database would refuse (issue 13.1).

The example that left a hole in a series on a PostgreSQL hub: a cashier's name of 200
characters (``varchar(150)``), stored as is by SQLite. The same class: any text too long,
a NUL, a number out of its column's range, a dangling foreign key, in a fact or in
reference data. Refused with a French sentence, nothing written, no number used.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from comptoir.catalogue.services import article_create, article_update
from comptoir.customers.services import customer_create
from comptoir.lib.errors import ValidationError
from comptoir.stock.models import StockMovement
from comptoir.stock.services import stock_receive


@pytest.fixture
def shelf(till: Any) -> None:
    article_create(code="A01", name="Pomme", sale_price="2.50")
    stock_receive(article="A01", quantity="20")


def test_reference_data_the_hub_would_refuse_is_refused_on_the_post(till: Any) -> None:
    """A NUL (PostgreSQL refuses it in text) in an article's name or a customer's
    address: the hub would refuse the row, then every sale that names it. The services
    refuse it first (a control character); a write past them meets the post's check."""
    control = "contient un caractère de contrôle ou invisible (U+0000)"
    with pytest.raises(ValidationError, match=re.escape(control)):
        article_create(code="B", name="Café\x00", sale_price="1.00")
    article = article_create(code="C", name="Chou", sale_price="1.00")
    with pytest.raises(ValidationError, match=re.escape(control)):
        article_update(pk=article.pk, name="Chou\x00")
    article.name = "Chou\x00"
    with pytest.raises(
        ValidationError, match=re.escape("Désignation (article) : caractère nul ou invalide")
    ):
        article.save()
    article.refresh_from_db()
    assert article.name == "Chou"
    with pytest.raises(ValidationError, match=re.escape(control)):
        customer_create(name="Martin", address="1 rue\x00 du Port")


def test_a_customer_name_too_long_is_refused_in_bulk_too(till: Any) -> None:
    from comptoir.customers.models import Customer

    with pytest.raises(ValidationError, match=r"Nom \(client\) : 201 caractères"):
        Customer.objects.bulk_create([Customer(code="K", name="k" * 201)])
    customer_create(name="k" * 200)  # the limit itself passes


def test_rows_inserted_from_values_are_checked_too(till: Any) -> None:
    """The import's fast path (``insert_values``, no instance per row) is a local write
    like the others: what the hub would refuse is refused, and nothing is written."""
    from comptoir.customers.models import Customer

    with (
        pytest.raises(ValidationError, match=r"Nom \(client\) : 201 caractères"),
        transaction.atomic(),
    ):
        Customer.objects.insert_values(
            [{"code": "K1", "name": "k"}, {"code": "K2", "name": "k" * 201}]
        )
    assert not Customer.objects.filter(code__in=["K1", "K2"]).exists()
    Customer.objects.insert_values([{"code": "K3", "name": "k" * 200}])


def test_a_dangling_foreign_key_is_refused_before_the_write(shelf: None) -> None:
    import uuid

    from comptoir.stores.selectors import store_current

    row = StockMovement(
        article_id=uuid.uuid4(), store=store_current(), kind="loss", quantity=1, occurred_at=None
    )
    with pytest.raises(ValidationError), transaction.atomic():
        row.save()


def test_the_database_of_a_post_refuses_what_the_checks_refuse(shelf: None) -> None:
    """Raw SQL (a shell, a bug) cannot store a value the hub would refuse: on SQLite, the
    synced tables carry triggers for lengths, NUL, integer ranges and decimal digits."""
    table = StockMovement._meta.db_table
    quote = connection.ops.quote_name
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote('catalogue_article')} SET {quote('name')} = %s",
            ["z" * 201],
        )
    assert table  # the fact tables are covered by the parity walk (test_field_parity)
