"""A local sale derives stock and statistics through the function the sync apply calls,
with its parts in memory, and leaves one trace per aggregate (issue 14, part 2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import (
    PaymentInput,
    SaleLine,
    credit_note_issue,
    invoice_draft_add_line,
    invoice_draft_create,
    invoice_sell,
    invoice_validate,
)
from comptoir.sales.services.derived import credit_notes_derive, invoices_derive
from comptoir.stock.models import InventoryCount, StockMovement
from comptoir.stock.services import stock_count, stock_receive, stock_transfer
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync import registry
from comptoir.sync.models import ChangeLog, OutboxEntry
from tests.factories import at, make_article

# What validating a 3-line sale costs, measured on SQLite (on PostgreSQL the hub adds the
# change-log lock and its NOTIFY). Before issue 14: 76 queries and 7 traces (83 on a hub
# on PostgreSQL). The first document of a day also closes the periods that are over
# (``closings``: about 7 more queries); the next ones of that day cost none for it.
# Issue 18: one more, the store's payment methods that the payments are checked against.
SALE_QUERIES = {"node": 39, "hub": 39}


@pytest.fixture
def articles(till: Till) -> None:
    for code, price in (("PAIN", "1.20"), ("VIN", "8.90"), ("FROM", "24.90")):
        make_article(code, price)


def _traces(role: str) -> list[tuple[str, str]]:
    if role == "node":
        rows = OutboxEntry.objects.order_by("seq").values_list("model", "row_id")
    else:
        rows = ChangeLog.objects.order_by("seq").values_list("model", "row_id")
    return [(m, str(r)) for m, r in rows]


def _clear_traces() -> None:
    OutboxEntry.objects.all().delete()
    ChangeLog.objects.all().delete()


@pytest.mark.parametrize("role", ["node", "hub"])
def test_a_three_line_sale_leaves_one_trace_and_a_bounded_number_of_queries(
    till: Till, articles: None, settings: Any, role: str, django_capture_on_commit_callbacks: Any
) -> None:
    settings.COMPTOIR_ROLE = role
    # The rows exist already; the same day, so that no closing is due (``closings``), and
    # committed, so that the process knows it (what the next sale of a day costs).
    with django_capture_on_commit_callbacks(execute=True):
        invoice_sell(lines=[SaleLine("PAIN", 1)], till=till, at=at(3, 9))
    draft = invoice_draft_create(till=till, cashier="alice")
    for code in ("PAIN", "VIN", "FROM"):
        invoice_draft_add_line(draft=draft, line=SaleLine(code, 2))
    _clear_traces()
    with CaptureQueriesContext(connection) as queries:
        invoice = invoice_validate(draft=draft, payments=[PaymentInput("cash", "100")], at=at(3))
    print(f"\n{role} ({connection.vendor}): {len(queries)} queries for a 3-line sale")
    assert _traces(role) == [("sales.invoice", str(invoice.pk))]
    # Parts and stores known in memory: nothing is read back from what the sale wrote.
    read_back = ('"sales_invoice"."store_id"', 'FROM "sales_invoiceline"', 'FROM "sales_payment"')
    read_back += ('FROM "sales_invoicetax"', 'FROM "stock_stockmovement"')
    assert [q for q in queries.captured_queries if any(r in q["sql"] for r in read_back)] == []
    bound = SALE_QUERIES[role] + (4 if connection.vendor == "postgresql" else 0)
    assert len(queries) <= bound


@pytest.mark.parametrize("role", ["node", "hub"])
def test_a_return_leaves_one_trace_for_the_credit_note(
    till: Till, articles: None, settings: Any, role: str
) -> None:
    settings.COMPTOIR_ROLE = role
    sale = invoice_sell(lines=[SaleLine("PAIN", 2), SaleLine("VIN", 1)], till=till, at=at(3, 9))
    _clear_traces()
    note = credit_note_issue(invoice_number=sale.number, till=till, at=at(3))
    assert _traces(role) == [("sales.creditnote", str(note.pk))]
    assert StockMovement.objects.filter(credit_note=note).count() == 2


def test_stock_writes_leave_one_trace_per_aggregate(till: Till, articles: None, settings) -> None:
    settings.COMPTOIR_ROLE = "node"
    annex = store_get_or_create(name="Annexe")
    stock_receive(article="PAIN", quantity=10, at=at(2))
    _clear_traces()
    out, into = stock_transfer(
        article="PAIN", quantity=4, from_store=till.store.name, to_store=annex.name, at=at(3)
    )
    assert sorted(_traces("node")) == sorted(
        [("stock.stockmovement", str(out.pk)), ("stock.stockmovement", str(into.pk))]
    )
    _clear_traces()
    count = stock_count(article="PAIN", quantity=7, at=at(4))
    assert _traces("node") == [("stock.inventorycount", str(count.pk))]
    assert InventoryCount.objects.count() == 1


def test_the_sync_apply_derives_through_the_functions_a_local_sale_calls() -> None:
    invoice = registry.fact_spec("sales.invoice")
    note = registry.fact_spec("sales.creditnote")
    assert invoice is not None
    assert note is not None
    assert (invoice.on_apply_many, note.on_apply_many) == (invoices_derive, credit_notes_derive)
    assert not hasattr(invoice, "on_apply")


def test_a_local_sale_derives_through_the_sync_hook(
    till: Till, articles: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sale hands the hook its parts in memory: the hook sees the invoice, its 3 lines,
    its payments and its movements, as it sees a received invoice."""
    seen: list[Any] = []

    def spy(items: list[Any]) -> None:
        seen.extend(items)
        invoices_derive(items)

    monkeypatch.setattr("comptoir.sales.services.invoices.invoices_derive", spy)
    sold = invoice_sell(lines=[SaleLine(c, 1) for c in ("PAIN", "VIN", "FROM")], till=till)
    [(root, parts)] = seen
    assert isinstance(root, Invoice)
    assert root.pk == sold.pk
    assert {model.__name__: len(rows) for model, rows in parts.items()} == {
        "InvoiceLine": 3,
        "InvoiceTax": 1,
        "Payment": 1,
        "StockMovement": 3,
    }
    assert not CreditNote.objects.exists()
