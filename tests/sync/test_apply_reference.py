"""Applying reference changes: per-field last-writer-wins on hybrid logical clocks."""

from __future__ import annotations

import copy
import itertools
import uuid
from typing import Any

import msgspec
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_update
from comptoir.stores.models import Till
from comptoir.sync.clock import wall_ms
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog, ConflictLog, SyncState
from comptoir.syncengine import apply
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS, Change, ReferenceData
from tests.factories import db_state, make_article
from tests.sync.helpers import reference_change, stamp


@pytest.fixture
def article(till: Till) -> Article:
    return make_article("PAIN", "1.20", cost="0.40")


def remote_edit(change: Change, clock: str, **values: Any) -> Change:
    """What another post sends after editing ``values`` at ``clock``."""
    edited = copy.deepcopy(change)
    edited.id = str(uuid.uuid4())
    for attname, value in values.items():
        edited.data.fields[attname] = value
        edited.data.clocks[attname] = clock
    return edited


def later(ms: int = 1_000, node: str = "node-b") -> str:
    return stamp(wall_ms() + ms, node)


def earlier(node: str = "node-b") -> str:
    return stamp(wall_ms() - 86_400_000, node)


def conflicts() -> list[tuple[str, Any, Any]]:
    return [(c.field, c.kept_value, c.lost_value) for c in ConflictLog.objects.order_by("id")]


def untouched() -> dict[str, Any]:
    return {
        "db": db_state(),
        "log": ChangeLog.objects.count(),
        "conflicts": ConflictLog.objects.count(),
        "clocks": sorted(map(str, Article.objects.values_list("id", "sync_clocks"))),
        "hlc": SyncState.objects.values_list("hlc", flat=True).first(),
    }


def test_edits_of_different_fields_on_two_sides_both_survive(article: Article) -> None:
    seen_by_remote = reference_change(article)
    article_update(code="PAIN", sale_price="1.50")
    change = remote_edit(seen_by_remote, later(), name="Pain de campagne")

    outcome = apply.apply_change(change, origin="node-b")

    assert outcome.status == "applied"
    article.refresh_from_db()
    assert (article.name, article.sale_price) == ("Pain de campagne", 150)
    # Neither edit is recorded as lost (overwritten older values are kept, by design).
    lost = {(field, lost) for field, _kept, lost in conflicts()}
    assert ("name", "Pain de campagne") not in lost
    assert ("sale_price", 150) not in lost


def test_the_later_clock_wins_a_field_edited_on_both_sides_and_the_loser_is_kept(
    article: Article,
) -> None:
    seen_by_remote = reference_change(article)
    article_update(code="PAIN", name="Pain local")
    change = remote_edit(seen_by_remote, later(), name="Pain distant")

    assert apply.apply_change(change, origin="node-b").status == "applied"

    article.refresh_from_db()
    assert article.name == "Pain distant"
    assert article.sync_clocks["name"] == change.data.clocks["name"]
    assert conflicts() == [("name", "Pain distant", "Pain local")]


def test_a_remote_edit_older_than_the_local_one_loses_and_is_kept_in_the_conflict_log(
    article: Article,
) -> None:
    seen_by_remote = reference_change(article)
    change = remote_edit(seen_by_remote, earlier(), name="Pain distant")
    article_update(code="PAIN", name="Pain local")
    local_clock = Article.objects.get(pk=article.pk).sync_clocks["name"]

    assert apply.apply_change(change, origin="node-b").status == "duplicate"

    article.refresh_from_db()
    assert article.name == "Pain local"
    assert article.sync_clocks["name"] == local_clock
    assert conflicts() == [("name", "Pain local", "Pain distant")]
    assert ConflictLog.objects.get(field="name").lost_clock == change.data.clocks["name"]


def test_ties_on_time_are_broken_by_node_id_the_same_way_on_every_side(article: Article) -> None:
    base = reference_change(article)
    wall = wall_ms() + 5_000
    low = remote_edit(base, stamp(wall, "node-a"), name="par A")
    high = remote_edit(base, stamp(wall, "node-b"), name="par B")
    for first, second in ((low, high), (high, low)):
        sid = transaction.savepoint()
        apply.apply_change(first, origin="x")
        apply.apply_change(second, origin="x")
        assert Article.objects.get(pk=article.pk).name == "par B"
        transaction.savepoint_rollback(sid)


def test_the_same_state_applied_twice_is_a_duplicate_the_second_time(article: Article) -> None:
    change = remote_edit(reference_change(article), later(), name="Pain distant")
    assert apply.apply_change(change, origin="node-b").status == "applied"
    before = untouched()
    again = msgspec.structs.replace(change, id=str(uuid.uuid4()))
    assert apply.apply_change(again, origin="node-b").status == "duplicate"
    assert untouched()["db"] == before["db"]
    assert ChangeLog.objects.count() == before["log"]
    assert ConflictLog.objects.count() == before["conflicts"]


def test_applying_a_change_on_the_hub_logs_it_once_with_its_origin(article: Article) -> None:
    change = remote_edit(reference_change(article), later(), name="Pain distant")
    last = ChangeLog.objects.order_by("-seq").first()
    assert last is not None
    apply.apply_change(change, origin="node-b")
    new = list(ChangeLog.objects.filter(seq__gt=last.seq).values_list("model", "origin_node"))
    assert new == [("catalogue.article", "node-b")]


def test_a_new_row_arrives_with_its_clocks_and_its_origin(article: Article) -> None:
    change = reference_change(article)
    new_id = str(uuid.uuid4())
    change.row = change.data.fields["id"] = new_id
    change.data.fields.update(code="NEUF", origin_node="node-b")
    change.data.clocks = dict.fromkeys(change.data.clocks, later())

    assert apply.apply_change(change, origin="node-b").status == "applied"

    row = Article.objects.get(pk=new_id)
    assert (row.code, row.origin_node) == ("NEUF", "node-b")
    assert row.sync_clocks == change.data.clocks


def _garbage(change: Change, how: str) -> Change:
    bad = copy.deepcopy(change)
    data = msgspec.structs.asdict(bad.data)
    if how == "unknown field":
        data["fields"]["quantite_stock"] = "12"
    elif how == "unknown clocked field":
        data["clocks"]["quantite_stock"] = later()
    elif how == "clock not a string":
        data["clocks"]["name"] = 12
    elif how == "clock without node":
        data["clocks"]["name"] = "000000000000001-000000-"
    elif how == "clock in letters":
        data["clocks"]["name"] = "nonsense"
    elif how == "clock in foreign digits":
        # Decodes to wall time 0 but sorts after every real clock: must not win.
        data["clocks"]["name"] = "０" * 15 + "-000000-node-b"
    elif how == "row id of another row":
        bad.row = str(uuid.uuid4())
    elif how == "bad value":
        data["fields"]["sale_price"] = "beaucoup"
    elif how == "value of the wrong type":
        data["fields"]["sale_price"] = 1.5
    elif how == "too long":
        data["fields"]["name"] = "x" * 201
    elif how == "too many digits":
        data["fields"]["vat_rate"] = "123456.5"
    elif how == "integer out of range":
        data["fields"]["sale_price"] = 2**70
    return bad


@pytest.mark.parametrize(
    "how",
    [
        "unknown field",
        "unknown clocked field",
        "clock not a string",
        "clock without node",
        "clock in letters",
        "clock in foreign digits",
        "row id of another row",
        "bad value",
        "value of the wrong type",
        "too long",
        "too many digits",
        "integer out of range",
    ],
)
def test_a_malformed_reference_change_is_rejected_and_writes_nothing(
    article: Article, how: str
) -> None:
    change = _garbage(remote_edit(reference_change(article), later(), name="Pain distant"), how)
    before = untouched()

    outcome = apply.apply_change(change, origin="node-b", hub_now_ms=wall_ms())

    assert outcome.status == "rejected"
    assert outcome.reason
    assert untouched() == before


def test_a_row_pointing_to_a_missing_row_is_rejected_with_a_clear_reason(
    article: Article,
) -> None:
    missing = str(uuid.uuid4())
    change = remote_edit(reference_change(article), later(), category_id=missing)
    before = untouched()

    outcome = apply.apply_change(change, origin="node-b")

    assert outcome.status == "rejected"
    assert outcome.reason == f"catégorie {missing} inconnu (référencé par category)."
    assert untouched() == before


def test_a_new_row_pointing_to_a_missing_row_is_rejected(article: Article) -> None:
    change = reference_change(article)
    change.row = change.data.fields["id"] = str(uuid.uuid4())
    change.data.fields.update(code="NEUF", supplier_id=str(uuid.uuid4()))
    before = untouched()
    outcome = apply.apply_change(change, origin="node-b")
    assert outcome.status == "rejected"
    assert "fournisseur" in outcome.reason
    assert "inconnu" in outcome.reason
    assert untouched() == before


def test_the_hub_refuses_clocks_too_far_ahead_of_its_own_and_says_why(article: Article) -> None:
    now = wall_ms()
    ahead = stamp(now + 12 * 60_000, "node-b")
    change = remote_edit(reference_change(article), ahead, name="Pain du futur")
    before = untouched()

    outcome = apply.apply_change(change, origin="node-b", hub_now_ms=now)

    assert outcome.status == "rejected"
    assert outcome.reason == (
        "L'horloge de ce poste est en avance d'environ 12 min sur le serveur : "
        "corrigez l'heure du poste."
    )
    assert untouched() == before


def test_the_hub_accepts_clocks_ahead_within_the_tolerance(article: Article) -> None:
    now = wall_ms()
    ahead = stamp(now + CLOCK_TOLERANCE_MS - 1_000, "node-b")
    change = remote_edit(reference_change(article), ahead, name="Pain un peu en avance")
    assert apply.apply_change(change, origin="node-b", hub_now_ms=now).status == "applied"
    assert SyncState.objects.get(pk=1).hlc > ahead


# --- convergence ------------------------------------------------------------------------

FIELDS = {
    "name": st.sampled_from(["Pain", "Baguette", "Ficelle"]),
    "sale_price": st.integers(0, 3),
    "cost": st.integers(0, 3),
}
edit = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda f: st.tuples(st.just(f), FIELDS[f], st.integers(0, 4))
)
# Per side: its edits in order (field, value, wall-clock step); each state it would send.
sides = st.lists(st.lists(edit, min_size=1, max_size=4), min_size=3, max_size=3)


def _side_states(base: Change, side: int, edits: list[tuple[str, Any, int]], t0: int) -> list:
    node = f"node-{side}"
    fields, clocks = dict(base.data.fields), dict(base.data.clocks)
    wall, counter = t0, 0
    states = []
    for name, value, step in edits:
        wall, counter = (wall + step, 0) if step else (wall, counter + 1)
        fields[name], clocks[name] = value, Timestamp(wall, counter, node).encode()
        states.append(
            msgspec.structs.replace(
                base,
                id=str(uuid.uuid4()),
                data=ReferenceData(fields=dict(fields), clocks=dict(clocks)),
            )
        )
    return states


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sides=sides, data=st.data())
def test_states_from_three_sides_converge_whatever_the_order_they_arrive_in(
    article: Article, sides: list[list[tuple[str, Any, int]]], data: st.DataObject
) -> None:
    base = reference_change(article)
    t0 = wall_ms() + 1_000
    messages = list(
        itertools.chain.from_iterable(
            _side_states(base, i, edits, t0) for i, edits in enumerate(sides)
        )
    )
    expected = {}
    for name in FIELDS:
        candidates = [(base.data.clocks[name], base.data.fields[name])]
        candidates += [(m.data.clocks[name], m.data.fields[name]) for m in messages]
        expected[name] = max(candidates)[1]

    orders = [messages, list(reversed(messages)), data.draw(st.permutations(messages))]
    for order in orders:
        sid = transaction.savepoint()
        for message in order:
            assert apply.apply_change(message, origin="x").status != "rejected"
        row = Article.objects.get(pk=article.pk)
        assert {name: getattr(row, name) for name in FIELDS} == expected
        transaction.savepoint_rollback(sid)
