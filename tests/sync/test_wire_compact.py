"""Fact parts travel without what the receiver derives from their root (protocol 2).

A part's id is derived from its root's and its place (``core.ids.part_id``), its foreign
key is the root, and its creation time, origin and store are the root's: the wire leaves
them out (``wire.compact``) and the receiver puts them back (``wire.expanded``). Rows with
ids of their own (written before ids were derived) keep them.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import msgspec
import pytest

from comptoir.lib.ids import new_id, part_id
from comptoir.sales.models import Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stock.models import StockMovement
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.syncengine import apply
from tests.factories import at
from tests.sync import test_apply_fact as applying
from tests.sync.helpers import fact_change
from tests.sync.test_apply_fact import made_elsewhere, sale

shop = applying.shop  # the fixture: two articles and stock on this till
_state = applying._state

LABEL = "sales.invoice"
PARTS = ("sales.invoiceline", "sales.invoicetax", "sales.payment", "stock.stockmovement")


def _travelling(root: Any) -> dict[str, Any]:
    kind, data = wire.states([(LABEL, root.pk)])[(LABEL, root.pk)]
    assert kind == "fact"
    return copy.deepcopy(data)


def test_a_sale_numbers_its_parts_from_the_invoice(shop: Till) -> None:
    invoice = sale()
    expected = {
        "sales.invoiceline": invoice.lines.order_by("position"),
        "sales.invoicetax": invoice.taxes.order_by("vat_rate"),
        "sales.payment": invoice.payments.order_by("position"),
        "stock.stockmovement": StockMovement.objects.filter(invoice=invoice).order_by("article_id"),
    }
    for label, rows in expected.items():
        assert [r.pk for r in rows] == [part_id(invoice.pk, label, n) for n in range(len(rows))]
        assert {r.created_at for r in rows} == {invoice.created_at}


def test_a_credit_note_numbers_its_parts_from_itself(shop: Till) -> None:
    invoice = sale()
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)], at=at(3))
    lines = list(note.lines.all())
    movements = list(StockMovement.objects.filter(credit_note=note))
    assert [r.pk for r in lines] == [part_id(note.pk, "sales.creditnoteline", 0)]
    assert [r.pk for r in movements] == [part_id(note.pk, "stock.stockmovement", 0)]
    assert {r.created_at for r in [*lines, *movements]} == {note.created_at}


def test_parts_travel_without_what_their_root_gives(shop: Till) -> None:
    invoice = sale()
    rows = _travelling(invoice)["rows"]
    whole = wire.fact_aggregates(LABEL, [invoice.pk])[invoice.pk]["rows"]
    assert rows[LABEL] == whole[LABEL]
    for label in PARTS:
        for row in rows[label]:
            assert not row.keys() & {"id", "invoice_id", "created_at", "origin_node"}, label
    assert not any("store_id" in row for row in rows["stock.stockmovement"])
    assert rows["stock.stockmovement"][0]["kind"] == "sale"
    assert len(json.dumps(rows)) < len(json.dumps(whole)) * 0.8


def test_a_travelling_sale_lands_elsewhere_row_for_row(shop: Till) -> None:
    change, local = made_elsewhere(LABEL, sale)
    root = uuid.UUID(change.row)
    travelling = fact_change(LABEL, root, {"rows": wire.compact(LABEL, change.data.rows)})

    outcome = apply.apply_change(travelling, origin="node-b", till=shop)

    assert outcome.status == "applied", outcome.reason
    assert _state() == local
    assert wire.fact_aggregates(LABEL, [root])[root] == msgspec.to_builtins(change.data)
    assert apply.apply_change(travelling, origin="node-b", till=shop).status == "duplicate"


def test_a_part_moved_to_another_place_is_another_part(shop: Till) -> None:
    invoice = sale()
    moved = fact_change(LABEL, invoice.pk, _travelling(invoice))
    lines = moved.data.rows["sales.invoiceline"]
    lines.reverse()  # each line now takes the other's derived id

    outcome = apply.apply_change(moved, origin="node-b", till=shop)

    assert outcome.status == "rejected"
    assert "existe déjà avec un autre contenu" in outcome.reason


def test_parts_with_ids_of_their_own_keep_them(shop: Till) -> None:
    """Rows written before ids were derived: their ids travel, the rest is still left out."""
    mine: dict[str, list[uuid.UUID]] = {}
    change, _local = made_elsewhere(LABEL, sale)
    rows = change.data.rows
    for label in PARTS:
        for row in rows[label]:
            row["id"] = str(new_id())
        mine[label] = sorted(uuid.UUID(r["id"]) for r in rows[label])
    assert apply.apply_change(change, origin="node-b", till=shop).status == "applied"

    invoice = Invoice.objects.get(pk=change.row)
    travelling = _travelling(invoice)["rows"]
    for label in PARTS:
        assert sorted(uuid.UUID(r["id"]) for r in travelling[label]) == mine[label]
        assert not any("created_at" in r or "invoice_id" in r for r in travelling[label])
    duplicate = fact_change(LABEL, invoice.pk, {"rows": travelling})
    assert apply.apply_change(duplicate, origin="node-b", till=shop).status == "duplicate"


@pytest.mark.parametrize("label", PARTS)
def test_a_part_naming_another_root_is_refused(shop: Till, label: str) -> None:
    invoice = sale()
    change = fact_change(LABEL, invoice.pk, _travelling(invoice))
    change.data.rows[label][0]["invoice_id"] = str(uuid.uuid4())
    outcome = apply.apply_change(change, origin="node-b", till=shop)
    assert outcome.status == "rejected"


def test_a_field_equal_to_the_roots_is_left_out_and_comes_back(shop: Till) -> None:
    """One line and one payment: their totals are the invoice's, and travel once."""

    def one_line() -> Invoice:
        return invoice_sell(
            lines=[SaleLine("VIN", 1)], payments=[PaymentInput("cash", "8.90")], at=at(2, 12)
        )

    change, local = made_elsewhere(LABEL, one_line)
    whole = msgspec.to_builtins(change.data)
    short = wire.compact(LABEL, change.data.rows)
    line = short["sales.invoiceline"][0]
    assert not line.keys() & {"total_excl_tax", "total_tax", "total_incl_tax", "total_cost"}
    travelling = fact_change(LABEL, uuid.UUID(change.row), {"rows": short})

    assert apply.apply_change(travelling, origin="node-b", till=shop).status == "applied"
    assert _state() == local
    stored = wire.fact_aggregates(LABEL, [uuid.UUID(change.row)])
    assert stored[uuid.UUID(change.row)] == whole
