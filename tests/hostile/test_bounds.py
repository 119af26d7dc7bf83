"""Pushed facts and edits beyond the plausibility bounds (``core.bounds``): each is
rejected with a reason (no 500, no ``DataError``), nothing of it is written, and the
rest of the push goes through. A post cannot validate such values; the hub refuses them
too, so a stock level or a day's revenue never overflows on either side."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest
from django.db import transaction

from comptoir.catalogue.models import Article
from comptoir.stock.services import stock_count, stock_receive
from comptoir.sync import wire
from comptoir.syncengine.apply import apply_change
from comptoir.syncengine.protocol import check_change
from tests.hostile.conftest import Api, Node, change, sale, snapshot
from tests.sync.helpers import reference_change, stamp


def _standalone(label: str, make: Any, **values: Any) -> dict[str, Any]:
    sid = transaction.savepoint()
    obj = make()
    kind, data = wire.states([(label, obj.pk)])[(label, obj.pk)]
    transaction.savepoint_rollback(sid)
    data["rows"][label][0].update(values)
    return change(label, obj.pk, kind, data)


def _with(state: dict[str, Any], label: str, **values: Any) -> dict[str, Any]:
    """The change with ``values`` set on every row of ``label``."""
    state = copy.deepcopy(state)
    for row in state["data"]["rows"][label]:
        row.update(values)
    return state


def _huge_sale(node: Node) -> dict[str, Any]:
    """What ``comptoir sell OVF:9000000000000000`` made on a till before the bounds."""
    return _with(
        _with(sale(node.till, ("PAIN", 1)), "sales.invoiceline", quantity="9000000000000000.000"),
        "stock.stockmovement",
        quantity="-9000000000000000.000",
    )


CASES = {
    "a sale of 9 × 10^15 (issue 13)": lambda node: _huge_sale(node),
    "a line total beyond the bounds": lambda node: _with(
        sale(node.till, ("PAIN", 1)), "sales.invoiceline", total_incl_tax=10**15
    ),
    "a payment beyond the bounds": lambda node: _with(
        sale(node.till, ("PAIN", 1)), "sales.payment", amount=10**15
    ),
    "a receipt of 2 × 10^9": lambda node: _standalone(
        "stock.stockmovement",
        lambda: stock_receive(article="PAIN", quantity=1, store=node.store.name),
        quantity="2000000000.000",
    ),
    "a count of 10^12": lambda node: _standalone(
        "stock.inventorycount",
        lambda: stock_count(article="PAIN", quantity=0, store=node.store.name),
        quantity="1000000000000",
    ),
    "a quantity beyond the column too": lambda node: _with(
        sale(node.till, ("PAIN", 1)), "sales.invoiceline", quantity="1" + "0" * 30
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_pushed_fact_beyond_the_bounds_is_rejected_with_a_reason(
    api: Api, node: Node, case: str
) -> None:
    forged = CASES[case](node)
    good = sale(node.till, ("LAIT", 2), day=3)
    before = snapshot()
    response = api.push(node.token, {"changes": [forged]})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "rejected", result
    assert result["reason"].startswith("Valeur invalide pour "), result
    assert snapshot() == before
    # The same, one by one (the path a batch falls back to), says the same.
    outcome = apply_change(check_change(forged), origin="node-2", till=node.till)
    assert (outcome.status, outcome.reason) == ("rejected", result["reason"])
    assert snapshot() == before
    assert api.push(node.token, {"changes": [good]}).json()["results"][0]["status"] == "applied"


@pytest.mark.parametrize(
    ("attname", "value"),
    [("sale_price", 10**15), ("cost", -(10**12)), ("alert_threshold", "5000000000")],
)
def test_an_article_edit_beyond_the_bounds_is_rejected_with_a_reason(
    api: Api, node: Node, attname: str, value: Any
) -> None:
    from comptoir.sync.clock import wall_ms

    article = Article.objects.get(code="PAIN")
    edit = reference_change(article, **{attname: value})
    edit.data.clocks[attname] = stamp(wall_ms(), "node-2")
    before = snapshot()
    response = api.push(node.token, {"changes": [msgspec.to_builtins(edit)]})
    (result,) = response.json()["results"]
    assert result["status"] == "rejected", result
    assert result["reason"].startswith(f"Valeur invalide pour {attname}"), result
    assert snapshot() == before
