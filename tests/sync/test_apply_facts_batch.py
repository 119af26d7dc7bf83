"""Fact aggregates applied set-wise (``apply_batch``): per change, the outcome one by one
would give, and derived data equal to a full rebuild.

The documents are made by real sales inside a savepoint, serialized, and the savepoint
rolled back: the database is then one where they never happened.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from comptoir.sales.models import Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stats.services import stats_rebuild
from comptoir.stock.services import stock_count, stock_rebuild, stock_receive
from comptoir.stores.models import SeriesCounter, Till
from comptoir.sync import wire
from comptoir.sync.models import ChangeLog
from comptoir.syncengine import apply
from comptoir.syncengine.protocol import Change
from tests.factories import at, db_state, make_article, stats_snapshot, stock_snapshot
from tests.sync.helpers import fact_change

TAMPERED = "Ce document existe déjà avec un autre contenu : refusé."


@pytest.fixture
def shop(till: Till) -> Till:
    make_article("PAIN", "1.20", vat="5.5", cost="0.40")
    make_article("VIN", "8.90", vat="20", cost="4.00")
    make_article("CAFE", "3.10", vat="10", cost="1.10")
    stock_count(article="PAIN", quantity=50, at=at(1, 8))
    return till


def _state() -> dict[str, Any]:
    state = db_state()
    del state["series"]
    del state["counts"][SeriesCounter._meta.label]
    return state


def made_elsewhere(make: Callable[[], list[tuple[str, Any]]]) -> tuple[list[Change], Any]:
    """Changes for the facts ``make`` returns (label, root), the state they led to, undone."""
    sid = transaction.savepoint()
    made = make()
    changes = [
        fact_change(label, root.pk, wire.fact_aggregates(label, [root.pk])[root.pk])
        for label, root in made
    ]
    after = _state()
    transaction.savepoint_rollback(sid)
    return changes, after


def _sell(day: int, hour: int, *lines: tuple[str, int], cash: str = "50") -> Invoice:
    return invoice_sell(
        lines=[SaleLine(code, qty) for code, qty in lines],
        payments=[PaymentInput("cash", cash)],
        at=at(day, hour),
    )


def three_sales() -> list[tuple[str, Any]]:
    return [
        ("sales.invoice", _sell(2, 9, ("PAIN", 3), ("VIN", 1))),
        ("sales.invoice", _sell(2, 10, ("CAFE", 2))),
        ("sales.invoice", _sell(3, 11, ("PAIN", 1), ("CAFE", 1), ("VIN", 2))),
    ]


def _again(change: Change, tamper: Callable[[dict[str, Any]], None] | None = None) -> Change:
    copied = copy.deepcopy(change)
    copied.id = str(uuid.uuid4())
    if tamper:
        tamper(copied.data.rows)
    return copied


def _more_total(rows: dict[str, Any]) -> None:
    rows["sales.invoice"][0]["total_incl_tax"] += 1


def _derived_match_a_rebuild() -> None:
    levels, stats = stock_snapshot(), stats_snapshot()
    stock_rebuild()
    stats_rebuild()
    assert (stock_snapshot(), stats_snapshot()) == (levels, stats)


def test_a_batch_of_new_duplicate_and_tampered_invoices_answers_each_change(
    shop: Till,
) -> None:
    (first, second, third), local = made_elsewhere(three_sales)
    assert apply.apply_change(first, origin="node-b", till=shop).status == "applied"
    last = ChangeLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    batch = [
        second,
        _again(first),  # stored already: duplicate
        _again(first, _more_total),  # stored already, other content: refused
        third,
        _again(third),  # earlier in this batch: duplicate
        _again(second, _more_total),  # earlier in this batch, other content: refused
    ]

    outcomes = apply.apply_batch(batch, origin="node-b", till=shop)

    assert [(o.change_id, o.status, o.reason) for o in outcomes] == [
        (batch[0].id, "applied", ""),
        (batch[1].id, "duplicate", ""),
        (batch[2].id, "rejected", TAMPERED),
        (batch[3].id, "applied", ""),
        (batch[4].id, "duplicate", ""),
        (batch[5].id, "rejected", TAMPERED),
    ]
    assert _state() == local
    logged = list(ChangeLog.objects.filter(seq__gt=last).values_list("row_id", "origin_node"))
    assert logged == [(uuid.UUID(second.row), "node-b"), (uuid.UUID(third.row), "node-b")]
    _derived_match_a_rebuild()


def test_derived_figures_after_a_mixed_batch_equal_a_full_rebuild(shop: Till) -> None:
    def documents() -> list[tuple[str, Any]]:
        sales = three_sales()
        receipt = stock_receive(article="VIN", quantity=12, at=at(2, 8))
        count = stock_count(article="CAFE", quantity=40, at=at(2, 9, 30))
        note = credit_note_issue(
            invoice_number=sales[0][1].number, lines=[ReturnLine("PAIN", 2)], at=at(4)
        )
        return [
            # The credit note first: the invoice it refers to comes later in the batch.
            ("sales.creditnote", note),
            *sales,
            ("stock.stockmovement", receipt),
            ("stock.inventorycount", count),
        ]

    changes, local = made_elsewhere(documents)

    outcomes = apply.apply_batch(changes, origin="node-b", till=shop)

    assert [o.status for o in outcomes] == ["applied"] * len(changes)
    assert _state() == local
    _derived_match_a_rebuild()


def test_an_invoice_naming_an_unknown_article_is_refused_alone(shop: Till) -> None:
    (first, second, third), _local = made_elsewhere(three_sales)
    unknown = str(uuid.uuid4())
    second.data.rows["sales.invoiceline"][0]["article_id"] = unknown

    outcomes = apply.apply_batch([first, second, third], origin="node-b", till=shop)

    assert [o.status for o in outcomes] == ["applied", "rejected", "applied"]
    assert outcomes[1].reason == f"article {unknown} inconnu (référencé par article)."
    assert not Invoice.objects.filter(pk=second.row).exists()
    _derived_match_a_rebuild()


def test_a_batch_the_database_refuses_goes_one_by_one_and_says_why(shop: Till) -> None:
    (first, second, _third), _local = made_elsewhere(three_sales)
    # Another invoice under the first one's number: no check foresees it, the unique
    # constraint does.
    second.data.rows["sales.invoice"][0]["number"] = first.data.rows["sales.invoice"][0]["number"]

    outcomes = apply.apply_batch([first, second], origin="node-b", till=shop)

    assert [o.status for o in outcomes] == ["applied", "rejected"]
    assert outcomes[1].reason.startswith("Refusé par la base de données")
    assert Invoice.objects.filter(pk__in=[first.row, second.row]).count() == 1
    _derived_match_a_rebuild()


def test_a_node_receiving_a_page_applies_it_without_echo(shop: Till, settings: Any) -> None:
    changes, local = made_elsewhere(three_sales)
    settings.COMPTOIR_ROLE = "node"

    outcomes = apply.apply_batch(changes, origin="hub")

    assert [o.status for o in outcomes] == ["applied"] * 3
    assert _state() == local
    assert apply.apply_batch(changes, origin="hub")[0].status == "duplicate"
