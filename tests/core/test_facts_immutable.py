"""Facts (invoices and their parts, credit notes, stock movements, counts) never change."""

import pytest
from django.db import DatabaseError, connection, transaction

from comptoir.lib.errors import ImmutableError
from comptoir.sales.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
    InvoiceTax,
    Payment,
)
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell
from comptoir.stock.models import InventoryCount, StockMovement
from comptoir.stock.services import stock_count
from tests.factories import at, make_article

FACTS = [
    Invoice,
    InvoiceLine,
    InvoiceTax,
    Payment,
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    StockMovement,
    InventoryCount,
]


@pytest.fixture
def facts(till):
    make_article("A", "2.00")
    invoice = invoice_sell(lines=[SaleLine("A", 2)], at=at(1))
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)], at=at(2))
    stock_count(article="A", quantity=10, at=at(3))
    assert all(model.objects.exists() for model in FACTS)


def fingerprint(model):
    return sorted(map(str, model.objects.values_list()))


@pytest.mark.parametrize("model", FACTS, ids=lambda m: m.__name__)
def test_saving_an_existing_fact_is_refused(facts, model):
    row = model.objects.first()
    row.origin_node = "falsifié"
    with pytest.raises(ImmutableError, match="ne se modifie pas"):
        row.save()
    with pytest.raises(ImmutableError, match="ne se modifie pas"):
        row.save(update_fields=["origin_node"])
    assert model.objects.filter(origin_node="falsifié").count() == 0


@pytest.mark.parametrize("model", FACTS, ids=lambda m: m.__name__)
def test_bulk_updates_of_facts_are_refused(facts, model):
    before = fingerprint(model)
    with pytest.raises(ImmutableError, match="ne se modifie pas"):
        model.objects.all().update(origin_node="falsifié")
    with pytest.raises(ImmutableError, match="ne se modifie pas"):
        model.objects.update(origin_node="falsifié")
    rows = list(model.objects.all())
    with pytest.raises(ImmutableError):
        model.objects.bulk_update(rows, ["origin_node"])
    assert fingerprint(model) == before


@pytest.mark.parametrize("model", FACTS, ids=lambda m: m.__name__)
def test_deleting_a_fact_is_refused(facts, model):
    count = model.objects.count()
    with pytest.raises(ImmutableError, match="ne se supprime pas"):
        model.objects.first().delete()
    with pytest.raises(ImmutableError, match="ne se supprime pas"):
        model.objects.all().delete()
    assert model.objects.count() == count


def test_the_related_managers_of_an_invoice_refuse_changes_too(facts):
    invoice = Invoice.objects.get()
    with pytest.raises(ImmutableError):
        invoice.lines.update(quantity=0)
    with pytest.raises(ImmutableError):
        invoice.payments.all().delete()


def test_a_raw_sql_update_of_an_invoice_is_refused_by_the_database(facts):
    total = Invoice.objects.get().total_incl_tax
    with pytest.raises(DatabaseError), transaction.atomic():
        connection.cursor().execute("UPDATE sales_invoice SET total_incl_tax = 0")
    assert Invoice.objects.get().total_incl_tax == total == 400


def test_the_base_manager_bypass_is_stopped_by_the_database(facts):
    with pytest.raises(DatabaseError), transaction.atomic():
        Invoice._base_manager.update(total_incl_tax=0)
    assert Invoice.objects.get().total_incl_tax == 400


@pytest.mark.parametrize("model", FACTS, ids=lambda m: m.__name__)
def test_a_raw_sql_update_of_any_fact_table_is_refused(facts, model):
    before = fingerprint(model)
    table = connection.ops.quote_name(model._meta.db_table)
    with pytest.raises(DatabaseError), transaction.atomic():
        connection.cursor().execute(f"UPDATE {table} SET origin_node = 'falsifié'")
    assert fingerprint(model) == before


@pytest.mark.postgres_only
@pytest.mark.parametrize("model", FACTS, ids=lambda m: m.__name__)
def test_a_raw_sql_delete_of_a_fact_is_refused_on_postgresql(facts, model):
    count = model.objects.count()
    table = connection.ops.quote_name(model._meta.db_table)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        connection.cursor().execute(f"DELETE FROM {table}")
    assert model.objects.count() == count


@pytest.mark.django_db
def test_every_fact_table_has_its_immutability_trigger_after_migrate() -> None:
    """A migration that rebuilds a fact's table (SQLite, to add a column) drops its
    trigger: ``migrate`` puts every one back, whichever migration forgot (the basket
    discount's did, for invoices and their lines)."""
    from django.db import connection

    from comptoir.lib import db
    from comptoir.sync import registry

    tables = [spec.model._meta.db_table for spec in registry.facts()]
    assert db.immutability_ensured(connection, tables) == []  # all there after migrate
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute('DROP TRIGGER "sales_invoice_immutable_upd"')
        else:
            cursor.execute('DROP TRIGGER "sales_invoice_immutable" ON "sales_invoice"')
    assert db.immutability_ensured(connection, tables) == ["sales_invoice"]
    assert db.immutability_ensured(connection, tables) == []
