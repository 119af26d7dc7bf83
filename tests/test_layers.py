"""The layers (README, "Layout"): no import circle between any two modules, function-level
imports included, and the engine names models only through what the apps declare."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import grimp
import pytest

from comptoir.sync import capture, registry
from comptoir.syncengine import worker
from comptoir.syncengine.describe import describe_moves
from comptoir.syncengine.engine import _count


def _imported(graph: grimp.ImportGraph, module: str) -> Iterator[str]:
    return iter(sorted(graph.find_modules_directly_imported_by(module)))


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, _imported(graph, start))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(group)
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    """Also a package and its own modules (which import-linter's sibling check skips)."""
    assert _cycles(grimp.build_graph("comptoir")) == []


def test_the_cycle_finder_sees_a_circle() -> None:
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [{"p.a", "p.b", "p.c"}]


def test_apps_name_their_models_in_the_order_a_shop_owner_reads_them() -> None:
    labels = [n.label for n in registry.namings()]
    assert labels == [
        "sales.invoice",
        "sales.creditnote",
        "stock.stockmovement",
        "stock.inventorycount",
        "catalogue.article",
        "customers.customer",
        "catalogue.supplier",
        "events.technicalevent",
    ]
    sent = Counter({"catalogue.supplier": 2, "sales.invoice": 1, "core.till": 3})
    assert describe_moves(sent, Counter()) == "Envoyés : 1 facture, 2 fournisseurs, 3 caisses"


def test_a_document_counts_the_stock_movements_it_carries() -> None:
    counter: Counter[str] = Counter()
    rows = {"sales.invoiceline": [{}], "stock.stockmovement": [{}, {}]}
    _count(counter, "sales.invoice", rows)
    _count(counter, "stock.stockmovement", {})
    assert counter == Counter({"sales.invoice": 1, "stock.stockmovement": 3})


@pytest.mark.django_db(transaction=True)
def test_a_local_write_wakes_the_worker_after_commit(settings: Any) -> None:
    settings.COMPTOIR_ROLE = "node"
    from tests.factories import make_article

    worker.outbox_changed.clear()
    make_article(code="WAKE")  # a durable service: its own transaction, committed
    assert worker.outbox_changed.is_set()
    assert worker.outbox_changed.set in capture._outbox_listeners
