"""Applying fact aggregates: inserted once, as a whole, with their derived data.

An aggregate is made by a real sale inside a savepoint, serialized, and the savepoint
rolled back: the database is then exactly one where the sale never happened.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from django.db import transaction

from comptoir.catalogue.models import Article
from comptoir.sales.models import Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stats.services import stats_rebuild
from comptoir.stock.selectors import stock_level
from comptoir.stock.services import stock_count, stock_rebuild, stock_receive
from comptoir.stores.models import SeriesCounter, Till
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.sync import wire
from comptoir.sync.models import ChangeLog
from comptoir.syncengine import apply
from comptoir.syncengine.protocol import Change
from tests.factories import at, db_state, make_article, stats_snapshot, stock_snapshot
from tests.sync.helpers import fact_change


@pytest.fixture
def shop(till: Till) -> Till:
    make_article("PAIN", "1.20", vat="5.5", cost="0.40")
    make_article("VIN", "8.90", vat="20", cost="4.00")
    stock_count(article="PAIN", quantity=50, at=at(1, 8))
    return till


def _state() -> dict[str, Any]:
    """What a sale changes, except this till's own series counter (never synced)."""
    state = db_state()
    del state["series"]
    del state["counts"][SeriesCounter._meta.label]
    return state


def made_elsewhere(label: str, make: Callable[[], Any]) -> tuple[Change, dict[str, Any]]:
    """The change for a fact made by ``make``, and the state it led to, then undone."""
    sid = transaction.savepoint()
    root = make()
    change = fact_change(label, root.pk, wire.fact_aggregates(label, [root.pk])[root.pk])
    after = _state()
    transaction.savepoint_rollback(sid)
    assert not type(root)._default_manager.filter(pk=root.pk).exists()
    return change, after


def sale() -> Invoice:
    return invoice_sell(
        lines=[SaleLine("PAIN", 3), SaleLine("VIN", 1)],
        payments=[PaymentInput("card", "5"), PaymentInput("cash", "10")],
        at=at(2, 11),
    )


def test_an_invoice_applied_elsewhere_lands_with_every_part_and_the_same_derived_data(
    shop: Till,
) -> None:
    change, local = made_elsewhere("sales.invoice", sale)
    rows = change.data.rows
    assert {label: len(r) for label, r in rows.items()} == {
        "sales.invoice": 1,
        "sales.invoiceline": 2,
        "sales.invoicetax": 2,
        "sales.payment": 2,
        "stock.stockmovement": 2,
    }

    outcome = apply.apply_change(change, origin="node-b", till=shop)

    assert outcome.status == "applied", outcome.reason
    assert _state() == local
    stored = wire.fact_aggregates("sales.invoice", [uuid.UUID(change.row)])
    assert stored[uuid.UUID(change.row)] == msgspec.to_builtins(change.data)
    levels, stats = stock_snapshot(), stats_snapshot()
    stock_rebuild()
    stats_rebuild()
    assert (stock_snapshot(), stats_snapshot()) == (levels, stats)


def test_an_applied_invoice_is_logged_once_on_the_hub_with_its_store(shop: Till) -> None:
    change, _local = made_elsewhere("sales.invoice", sale)
    last = ChangeLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    apply.apply_change(change, origin="node-b", till=shop)
    logged = list(
        ChangeLog.objects.filter(seq__gt=last).values_list(
            "model", "row_id", "store_id", "origin_node"
        )
    )
    assert logged == [("sales.invoice", uuid.UUID(change.row), shop.store_id, "node-b")]


def test_a_credit_note_and_a_standalone_movement_apply_like_local_ones(shop: Till) -> None:
    invoice = sale()
    note_change, note_local = made_elsewhere(
        "sales.creditnote",
        lambda: credit_note_issue(
            invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)], at=at(3)
        ),
    )
    assert apply.apply_change(note_change, origin="node-b", till=shop).status == "applied"
    assert _state() == note_local

    receipt_change, receipt_local = made_elsewhere(
        "stock.stockmovement", lambda: stock_receive(article="VIN", quantity=6, at=at(3, 12))
    )
    assert apply.apply_change(receipt_change, origin="node-b", till=shop).status == "applied"
    assert _state() == receipt_local


def test_an_old_sale_arriving_after_a_newer_count_does_not_undo_the_count(shop: Till) -> None:
    change, _ = made_elsewhere("sales.invoice", sale)  # sold at 11:00 on day 2
    stock_count(article="PAIN", quantity=20, at=at(2, 18))
    apply.apply_change(change, origin="node-b", till=shop)
    levels = stock_snapshot()
    stock_rebuild()
    assert stock_snapshot() == levels
    pain = Article.objects.get(code="PAIN")
    assert stock_level(article_id=pain.pk, store_id=shop.store_id) == 20


def test_an_aggregate_applied_twice_is_a_duplicate(shop: Till) -> None:
    change, _ = made_elsewhere("sales.invoice", sale)
    apply.apply_change(change, origin="node-b", till=shop)
    before, log = _state(), ChangeLog.objects.count()
    again = msgspec.structs.replace(copy.deepcopy(change), id=str(uuid.uuid4()))
    # Parts may arrive in another order: the content counts, not the order.
    again.data.rows["sales.invoiceline"].reverse()
    assert apply.apply_change(again, origin="node-b", till=shop).status == "duplicate"
    assert (_state(), ChangeLog.objects.count()) == (before, log)


def _tamper_total(rows: dict[str, Any]) -> None:
    rows["sales.invoice"][0]["total_incl_tax"] += 1


def _tamper_line(rows: dict[str, Any]) -> None:
    rows["sales.invoiceline"][0]["quantity"] = "30.000"


def _drop_payment(rows: dict[str, Any]) -> None:
    rows["sales.payment"].pop()


@pytest.mark.parametrize("tamper", [_tamper_total, _tamper_line, _drop_payment])
def test_the_same_invoice_with_another_content_is_refused(
    shop: Till, tamper: Callable[[dict[str, Any]], None]
) -> None:
    change, _ = made_elsewhere("sales.invoice", sale)
    apply.apply_change(change, origin="node-b", till=shop)
    before, log = _state(), ChangeLog.objects.count()
    forged = copy.deepcopy(change)
    forged.id = str(uuid.uuid4())
    tamper(forged.data.rows)

    outcome = apply.apply_change(forged, origin="node-b", till=shop)

    assert outcome.status == "rejected"
    assert outcome.reason == "Ce document existe déjà avec un autre contenu : refusé."
    assert (_state(), ChangeLog.objects.count()) == (before, log)


@pytest.fixture
def elsewhere(shop: Till) -> dict[str, Till]:
    other = store_get_or_create(name="Autre magasin")
    return {
        "other store": till_create(store=other, name="Caisse A", prefix="A1", node_id="node-a"),
        "same store, other till": till_create(
            store=shop.store, name="Caisse 2", prefix="C2", node_id="node-2"
        ),
    }


@pytest.mark.parametrize("who", ["other store", "same store, other till"])
@pytest.mark.parametrize("tamper", [None, _tamper_total, _tamper_line, _drop_payment])
def test_the_hub_refuses_an_invoice_from_a_till_that_does_not_own_its_series(
    elsewhere: dict[str, Till], who: str, tamper: Callable[[dict[str, Any]], None] | None
) -> None:
    """Unless it relays it as its post signed it (a hub restored from an older backup gets
    it back so): another till of the store, the invoice unaltered."""
    change, _ = made_elsewhere("sales.invoice", sale)
    if tamper is not None:
        tamper(change.data.rows)
    before, log = _state(), ChangeLog.objects.count()

    outcome = apply.apply_change(change, origin="intrus", till=elsewhere[who])
    [batched] = apply.apply_batch([change], origin="intrus", till=elsewhere[who], hub_now_ms=1)

    if who == "same store, other till" and tamper is None:
        assert (outcome.status, batched.status) == ("applied", "duplicate"), outcome
        return
    assert outcome.status == "rejected"
    assert batched.status == "rejected"
    if who == "other store":
        assert outcome.reason == "Ce poste ne peut envoyer que les documents de sa propre caisse."
    else:
        assert outcome.reason == "Enregistrement relayé d'un autre poste altéré : refusé."
    assert (_state(), ChangeLog.objects.count()) == (before, log)


def test_the_hub_refuses_a_number_outside_the_tills_series(shop: Till) -> None:
    change, _ = made_elsewhere("sales.invoice", sale)
    root = change.data.rows["sales.invoice"][0]
    root["number"] = root["number"].replace("C1-", "C9-")
    before = _state()
    outcome = apply.apply_change(change, origin="node-b", till=shop)
    assert outcome.status == "rejected"
    assert outcome.reason == f"Numéro hors de la série de ce poste : {root['number']}."
    assert _state() == before


def test_the_hub_refuses_stock_movements_for_another_store(elsewhere: dict[str, Till]) -> None:
    change, _ = made_elsewhere(
        "stock.stockmovement", lambda: stock_receive(article="VIN", quantity=6, at=at(3))
    )
    before = _state()
    outcome = apply.apply_change(change, origin="node-a", till=elsewhere["other store"])
    assert outcome.status == "rejected"
    assert outcome.reason == "Ce poste n'écrit que dans le stock de son magasin."
    assert _state() == before


def _part_of_another_invoice(change: Change) -> None:
    change.data.rows["sales.invoiceline"][0]["invoice_id"] = str(uuid.uuid4())


def _movement_of_another_invoice(change: Change) -> None:
    change.data.rows["stock.stockmovement"][0]["invoice_id"] = str(uuid.uuid4())


def _unexpected_part(change: Change) -> None:
    change.data.rows["catalogue.article"] = []


def _no_root(change: Change) -> None:
    del change.data.rows["sales.invoice"]


def _root_of_another_id(change: Change) -> None:
    change.row = str(uuid.uuid4())


def _missing_article(change: Change) -> None:
    change.data.rows["sales.invoiceline"][0]["article_id"] = str(uuid.uuid4())


def _missing_field(change: Change) -> None:
    del change.data.rows["sales.invoiceline"][0]["quantity"]


def _part_only_model(change: Change) -> None:
    change.model = "sales.invoiceline"


@pytest.mark.parametrize(
    "damage",
    [
        _part_of_another_invoice,
        _movement_of_another_invoice,
        _unexpected_part,
        _no_root,
        _root_of_another_id,
        _missing_article,
        _missing_field,
        _part_only_model,
    ],
)
def test_a_malformed_aggregate_is_rejected_and_nothing_is_applied(
    shop: Till, damage: Callable[[Change], None]
) -> None:
    change, _ = made_elsewhere("sales.invoice", sale)
    damage(change)
    before, log = _state(), ChangeLog.objects.count()

    outcome = apply.apply_change(change, origin="node-b", till=shop)

    assert outcome.status == "rejected"
    assert outcome.reason
    assert (_state(), ChangeLog.objects.count()) == (before, log)


def test_a_sale_movement_sent_on_its_own_is_refused(shop: Till) -> None:
    change, _ = made_elsewhere("sales.invoice", sale)
    movement = change.data.rows["stock.stockmovement"][0]
    alone = fact_change(
        "stock.stockmovement",
        uuid.UUID(movement["id"]),
        {"rows": {"stock.stockmovement": [movement]}},
    )
    outcome = apply.apply_change(alone, origin="node-b", till=shop)
    assert outcome.status == "rejected"
    assert outcome.reason == "Cette ligne appartient à un autre document."
