"""The hub's side of push (idempotent, per change) and pull (paging through the log)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from django.db import transaction

from comptoir.catalogue.models import Article, Category
from comptoir.catalogue.services import article_update, category_get_or_create
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.sync import wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog, NodeCredential, ReceivedChange
from comptoir.syncengine import auth, hub
from comptoir.syncengine.protocol import Change, Page, ReferenceChange, ReferenceData
from tests.factories import at, db_state, make_article
from tests.sync.helpers import fact_change, reference_change, stamp


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    """A second till of the store, enrolled as node ``node-2`` (prefix C2)."""
    make_article("PAIN", "1.20")
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    found = auth.credential_for(token)
    assert found is not None
    return found


def node_sale(cred: NodeCredential) -> Change:
    """An invoice made on the node's till, that the hub does not have yet."""
    sid = transaction.savepoint()
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], till=cred.till, at=at(2))
    data = wire.fact_aggregates("sales.invoice", [invoice.pk])[invoice.pk]
    transaction.savepoint_rollback(sid)
    return fact_change("sales.invoice", invoice.pk, data)


def node_edit(obj: Any, wall_offset_ms: int = 1_000, **values: Any) -> Change:
    change = reference_change(obj, **values)
    clock = stamp(
        Timestamp.decode(max(obj.sync_clocks.values())).wall_ms + wall_offset_ms, "node-2"
    )
    for attname in values:
        change.data.clocks[attname] = clock
    return change


def statuses(results: list[Any]) -> list[str]:
    return [r.status for r in results]


def test_a_replayed_push_is_acknowledged_without_being_applied_twice(
    cred: NodeCredential,
) -> None:
    pain = Article.objects.get(code="PAIN")
    changes = [node_edit(pain, name="Pain de mie"), node_sale(cred)]
    assert statuses(hub.push_apply(cred, changes)) == ["applied", "applied"]
    state, log = db_state(), ChangeLog.objects.count()
    received = dict(ReceivedChange.objects.values_list("change_id", "result"))
    assert received == {uuid.UUID(c.id): "applied" for c in changes}

    assert statuses(hub.push_apply(cred, changes)) == ["duplicate", "duplicate"]
    assert (db_state(), ChangeLog.objects.count()) == (state, log)


def test_a_change_id_seen_before_is_not_applied_even_with_another_content(
    cred: NodeCredential,
) -> None:
    pain = Article.objects.get(code="PAIN")
    first = node_edit(pain, name="Pain de mie")
    hub.push_apply(cred, [first])
    replay = node_edit(Article.objects.get(pk=pain.pk), name="Pain brioché")
    replay.id = first.id
    assert statuses(hub.push_apply(cred, [replay])) == ["duplicate"]
    assert Article.objects.get(pk=pain.pk).name == "Pain de mie"


def test_the_same_change_id_twice_in_one_push_is_applied_once(cred: NodeCredential) -> None:
    pain = Article.objects.get(code="PAIN")
    first = node_edit(pain, name="Pain de mie")
    second = node_edit(pain, wall_offset_ms=2_000, name="Pain brioché")
    second.id = first.id
    assert statuses(hub.push_apply(cred, [first, second])) == ["applied", "duplicate"]
    assert Article.objects.get(pk=pain.pk).name == "Pain de mie"


def test_a_rejected_change_is_not_remembered_and_applies_once_its_cause_is_fixed(
    cred: NodeCredential,
) -> None:
    pain = Article.objects.get(code="PAIN")
    category = Category(name="Boulangerie")  # born on the node, not pushed yet
    category.sync_clocks = dict.fromkeys(
        ("name", "archived", "created_at", "origin_node"), stamp(1, "node-2")
    )
    change = node_edit(pain, category_id=category.pk)
    state = db_state()

    [result] = hub.push_apply(cred, [change])

    assert result.status == "rejected"
    assert "catégorie" in result.reason
    assert not ReceivedChange.objects.filter(change_id=change.id).exists()
    assert db_state() == state

    category_change = ReferenceChange(
        id=str(uuid.uuid4()),
        model="catalogue.category",
        row=str(category.pk),
        data=ReferenceData(
            fields=wire.row_to_wire(category, category.sync_clocks),
            clocks=category.sync_clocks,
        ),
    )
    assert statuses(hub.push_apply(cred, [category_change, change])) == ["applied", "applied"]
    assert Article.objects.get(pk=pain.pk).category_id == category.pk


def test_a_rejected_change_does_not_undo_the_others_of_its_push(cred: NodeCredential) -> None:
    pain = Article.objects.get(code="PAIN")
    bad = node_edit(pain, category_id=uuid.uuid4())
    good = node_sale(cred)
    assert statuses(hub.push_apply(cred, [bad, good])) == ["rejected", "applied"]
    assert ReceivedChange.objects.filter(change_id=good.id).exists()


def test_a_push_records_when_the_node_was_last_seen(cred: NodeCredential) -> None:
    hub.push_apply(cred, [])
    cred.refresh_from_db()
    assert cred.last_push_at is not None
    assert cred.last_seen_at is not None


# --- pull -------------------------------------------------------------------------------


def pull_all(cred: NodeCredential, cursor: int, limit: int) -> tuple[list[Change], list[dict]]:
    changes, pages = [], []
    while True:
        page = hub.pull_page(cred, cursor, limit)
        pages.append(page)
        changes += page.changes
        assert page.cursor >= cursor
        cursor = page.cursor
        if not page.more:
            return changes, pages


def test_pulling_page_by_page_returns_every_change_in_log_order(cred: NodeCredential) -> None:
    start = hub.log_head()
    names = [f"Rayon {i}" for i in range(5)]
    for name in names:
        category_get_or_create(name=name)

    changes, pages = pull_all(cred, start, limit=2)

    assert [c.data.fields["name"] for c in changes] == names
    assert [len(p.changes) for p in pages] == [2, 2, 1]
    assert [p.more for p in pages] == [True, True, False]
    assert pages[-1].cursor == hub.log_head()
    assert all(c.kind == "reference" and c.model == "catalogue.category" for c in changes)
    assert hub.pull_page(cred, pages[-1].cursor, 2) == Page(
        changes=[], cursor=hub.log_head(), more=False
    )


def test_a_full_page_says_more_and_stops_at_its_last_entry(cred: NodeCredential) -> None:
    start = hub.log_head()
    for i in range(3):
        category_get_or_create(name=f"Rayon {i}")
    page = hub.pull_page(cred, start, 3)
    seqs = list(
        ChangeLog.objects.filter(seq__gt=start).order_by("seq").values_list("seq", flat=True)
    )
    assert (page.more, page.cursor, len(page.changes)) == (False, seqs[-1], 3)
    page = hub.pull_page(cred, start, 2)
    assert (page.more, page.cursor) == (True, seqs[1])


def test_a_row_changed_several_times_comes_once_with_its_latest_state(
    cred: NodeCredential,
) -> None:
    start = hub.log_head()
    article_update(code="PAIN", name="Pain 1")
    article_update(code="PAIN", name="Pain 2")
    changes, _ = pull_all(cred, start, limit=10)
    assert [(c.model, c.data.fields["name"]) for c in changes] == [("catalogue.article", "Pain 2")]


def test_a_node_pulls_neither_its_own_changes_nor_another_stores_facts(
    cred: NodeCredential,
) -> None:
    start = hub.log_head()
    other = till_create(
        store=store_get_or_create(name="Autre magasin"), name="Caisse A", prefix="A1"
    )
    hub.push_apply(cred, [node_sale(cred)])
    elsewhere = invoice_sell(lines=[SaleLine("PAIN", 1)], till=other, at=at(3))
    here = invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3))

    changes, _ = pull_all(cred, start, limit=100)

    facts = [c.row for c in changes if c.kind == "fact"]
    assert facts == [str(here.pk)]
    assert str(elsewhere.pk) not in {c.row for c in changes}
    [invoice] = [c for c in changes if c.kind == "fact"]
    assert len(invoice.data.rows["stock.stockmovement"]) == 1
    assert {c.model for c in changes if c.kind == "reference"} >= {"core.till"}


def test_pull_change_ids_are_stable_so_a_repeated_page_is_recognised(
    cred: NodeCredential,
) -> None:
    start = hub.log_head()
    category_get_or_create(name="Rayon")
    first = hub.pull_page(cred, start, 10)
    again = hub.pull_page(cred, start, 10)
    assert [c.id for c in first.changes] == [c.id for c in again.changes]
    assert copy.deepcopy(first) == again


def test_a_node_cannot_move_its_till_nor_touch_stores_and_other_tills(
    cred: NodeCredential, till: Till
) -> None:
    other_store = store_get_or_create(name="Autre magasin")
    own = Till.objects.get(pk=cred.till.pk)
    new_till = reference_change(own)
    new_till.row = new_till.data.fields["id"] = str(uuid.uuid4())
    new_till.data.fields.update(name="Caisse pirate", prefix="ZZ")
    changes = [
        node_edit(own, store_id=other_store.pk),
        node_edit(own, prefix="C1"),
        node_edit(Till.objects.get(pk=till.pk), node_id="node-2"),
        node_edit(own.store, name="Renommé par une caisse"),
        new_till,
    ]
    state = db_state()

    results = hub.push_apply(cred, changes)

    assert statuses(results) == ["rejected"] * len(changes)
    assert {r.reason for r in results} == {
        "Les magasins et les caisses se modifient sur le serveur seulement."
    }
    assert db_state() == state


def test_a_node_may_resend_its_till_as_it_received_it(cred: NodeCredential) -> None:
    own = Till.objects.get(pk=cred.till.pk)
    assert statuses(hub.push_apply(cred, [reference_change(own)])) == ["duplicate"]
