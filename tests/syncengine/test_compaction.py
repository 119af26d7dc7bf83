"""Compaction of the hub's change log, and the snapshot a node behind its cut takes.

The rule (``compaction.superseded_of``) is checked on its own with random edit histories;
then on the database: what is deleted, what a pull serves afterwards, the cuts and the
410 that a node behind one gets (pull and stream), and the snapshot's pages.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_update
from comptoir.lib.errors import ValidationError
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog, LogCompaction, LogCut, NodeCredential
from comptoir.syncengine import auth, compaction, hub, snapshot
from comptoir.syncengine.compaction import Behind, log_compact, superseded_of
from comptoir.syncengine.digest import row_hashes
from comptoir.syncengine.protocol import (
    OLDEST_SCHEMA,
    PREFIX,
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    FactChange,
)
from tests.factories import at, make_article
from tests.sync.helpers import reference_change, stamp

VERSIONS = {"X-Comptoir-Protocol": str(PROTOCOL_VERSION), "X-Comptoir-Schema": str(SCHEMA_VERSION)}
ORIGINS = ("hub", "a", "b", "c")
ROWS = [uuid.UUID(int=n) for n in range(1, 5)]

# -- the rule, on its own -----------------------------------------------------------------


def _visible(entries: list[tuple[int, str, uuid.UUID, str]], node: str, cursor: int) -> Any:
    return [e for e in entries if e[0] > cursor and e[3] != node]


@settings(max_examples=300, deadline=None)
@given(
    history=st.lists(
        st.tuples(st.sampled_from(ROWS), st.sampled_from(ORIGINS)), min_size=1, max_size=40
    )
)
def test_compaction_serves_every_node_the_same_rows_at_the_same_last_place(
    history: list[tuple[uuid.UUID, str]],
) -> None:
    """Random edits by several origins: for every node and every cursor, the kept entries
    serve the same rows, each last at the same place (so the same final state), and a row
    new to the node first at the same place (so documents still come after what they
    point to)."""
    entries = [(seq, "m", row, origin) for seq, (row, origin) in enumerate(history, start=1)]
    doomed = set(superseded_of(entries))
    kept = [e for e in entries if e[0] not in doomed]
    first = {}
    for seq, _m, row, _o in entries:
        first.setdefault(row, seq)
    for node in ORIGINS:
        for cursor in range(len(entries) + 1):
            before, after = _visible(entries, node, cursor), _visible(kept, node, cursor)
            assert {e[2] for e in before} == {e[2] for e in after}
            for row in {e[2] for e in before}:
                assert max(e[0] for e in before if e[2] == row) == max(
                    e[0] for e in after if e[2] == row
                )
                if first[row] > cursor and entries[first[row] - 1][3] != node:
                    assert min(e[0] for e in after if e[2] == row) == first[row]


def test_an_entry_is_kept_while_it_is_the_latest_of_its_origin() -> None:
    """By (model, row) alone the hub's edit (seq 2) would go, and till ``a`` (which never
    sees its own entry 3) would never learn it."""
    row = ROWS[0]
    entries = [(1, "m", row, "hub"), (2, "m", row, "hub"), (3, "m", row, "a"), (4, "m", row, "b")]
    assert superseded_of(entries) == []
    assert superseded_of([*entries, (5, "m", row, "hub")]) == [2]


# -- on the hub's database ----------------------------------------------------------------


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    make_article("PAIN", "1.20")
    token, _till = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2"), node_id="node-2"
    )
    found = auth.credential_for(token)
    assert found is not None
    return found


def _pull_all(cred: NodeCredential, cursor: int) -> tuple[dict[str, Any], int]:
    states: dict[str, Any] = {}
    while True:
        page = hub.pull_page(cred, cursor, 50, touch=False)
        for change in page.changes:
            states[change.row] = change.data
        cursor = page.cursor
        if not page.more:
            return states, cursor


def _node_edit(obj: Any, **values: Any) -> Any:
    """node-2's edit of ``obj``, a second after the row's latest clock."""
    change = reference_change(obj, **values)
    latest = max(Timestamp.decode(c).wall_ms for c in obj.sync_clocks.values())
    for attname in values:
        change.data.clocks[attname] = stamp(latest + 1_000, "node-2")
    return change


def test_superseded_entries_go_and_each_node_still_gets_the_merged_state(
    cred: NodeCredential,
) -> None:
    article = Article.objects.get(code="PAIN")
    start = hub.log_head()
    article_update(code="PAIN", sale_price="1.30")  # the hub's edit
    results = hub.push_apply(cred, [_node_edit(Article.objects.get(pk=article.pk), name="Pain 2")])
    assert [r.status for r in results] == ["applied"]
    for n in range(3):  # the hub edits again: its earlier entries are superseded
        article_update(code="PAIN", cost=f"0.{n + 1}0")
    entries = list(ChangeLog.objects.filter(row_id=article.pk).values_list("seq", "origin_node"))
    assert len(entries) == 6  # created, hub, node-2, hub x3
    before, _cursor = _pull_all(cred, start)

    report = log_compact(horizon=timedelta(days=30))

    left = list(ChangeLog.objects.filter(row_id=article.pk).values_list("seq", "origin_node"))
    # The first entry, node-2's, and the hub's latest; the hub's three others went.
    assert left == [entries[0], entries[2], entries[5]]
    assert report.superseded == 3
    assert report.expired == 0
    assert report.entries_before - report.entries_after == 3
    after, _cursor = _pull_all(cred, start)
    assert after == before
    data = after[str(article.pk)]
    assert data.fields["name"] == "Pain 2"
    assert data.fields["sale_price"] == 130  # (minor units)


def test_a_node_behind_a_cut_is_told_so_and_one_past_it_is_not(
    cred: NodeCredential, client: Client
) -> None:
    old = hub.log_head(cred.till.store_id)
    article_update(code="PAIN", name="Pain coupé")
    cut = hub.log_head()
    report = log_compact(before_seq=cut)
    assert report.through == cut
    assert report.expired > 0
    assert not ChangeLog.objects.filter(seq__lte=cut).exists()
    assert LogCut.objects.get(domain="").through == cut
    with pytest.raises(Behind):
        hub.pull_page(cred, old, 50, touch=False)
    assert hub.pull_page(cred, cut, 50, touch=False).changes == []
    response = client.get(
        PREFIX + "pull",
        {"cursor": old},
        headers={**VERSIONS, "Authorization": f"Bearer {_token(cred)}"},
    )
    assert response.status_code == 410
    body = json.loads(response.content)
    assert body["cut"] == cut
    assert "hors ligne plus longtemps" in body["error"]


def _token(cred: NodeCredential) -> str:
    token, _till = auth.enrollment_redeem(
        code=auth.reenrollment_create(name=cred.name), node_id=cred.node_id
    )
    return token


def test_a_store_whose_rows_were_cut_does_not_send_another_stores_till_to_a_snapshot(
    cred: NodeCredential,
) -> None:
    """Cuts are per ordering domain: a till of a store whose rows were not cut (and that
    saw every reference row) goes on pulling."""
    store_get_or_create(name="Magasin 2", currency="EUR")
    token, _till = auth.enrollment_redeem(
        code=auth.enrollment_create(name="B1", store="Magasin 2"), node_id="node-b1"
    )
    other = auth.credential_for(token)
    assert other is not None
    _states, cursor = _pull_all(other, 0)  # up to date with its domain
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(2))  # the main store's row
    log_compact(before_seq=hub.log_head())
    assert LogCut.objects.get(domain=str(cred.till.store_id)).through > cursor
    hub.pull_page(other, cursor, 50, touch=False)  # not behind
    with pytest.raises(Behind):
        hub.pull_page(cred, cursor, 50, touch=False)


def test_entries_older_than_the_horizon_go_and_newer_ones_stay(cred: NodeCredential) -> None:
    article_update(code="PAIN", name="Pain ancien")
    old = hub.log_head()
    ChangeLog.objects.filter(seq__lte=old).update(created_at=timezone.now() - timedelta(days=31))
    article_update(code="PAIN", name="Pain récent")
    report = log_compact(horizon=timedelta(days=30), superseded=False)
    assert report.through == old
    assert list(ChangeLog.objects.values_list("seq", flat=True)) == [hub.log_head()]
    assert compaction.cut_for(cred.till.store_id) == old


def test_the_snapshot_serves_what_verify_compares_in_pages_of_whole_documents(
    cred: NodeCredential,
) -> None:
    for n in range(5):
        make_article(f"ART{n}", "2.00")
    for _n in range(4):
        invoice_sell(lines=[SaleLine("PAIN", 1), SaleLine("ART1", 2)], at=at(2))
    log_compact(before_seq=hub.log_head())
    pages, after, seen = 0, "", {}
    head = None
    while True:
        page = snapshot.snapshot_page(cred, after=after, limit=3)
        assert len(page.changes) <= 3
        head = page.head if head is None else head
        assert page.head == (0 if after else page.head)
        for change in page.changes:
            assert change.row not in seen
            seen[change.row] = change
        pages += 1
        if not page.more:
            break
        after = page.after
    assert head >= compaction.cut_for(cred.till.store_id)
    assert pages > 3
    for label in snapshot.snapshot_labels():
        assert {r for r, c in seen.items() if c.model == label} == set(
            row_hashes(label, cred.till.store_id)
        ), label
    invoices = [c for c in seen.values() if c.model == "sales.invoice"]
    assert len(invoices) == 4
    assert all(
        isinstance(c, FactChange) and len(c.data.rows["sales.invoiceline"]) == 2 for c in invoices
    )
    labels = [c.model for c in seen.values()]
    assert labels.index("catalogue.article") < labels.index("sales.invoice")


def test_a_snapshot_page_with_a_token_it_did_not_give_is_refused(
    cred: NodeCredential, client: Client
) -> None:
    response = client.get(
        PREFIX + "snapshot",
        {"after": "nope|x"},
        headers={**VERSIONS, "Authorization": f"Bearer {_token(cred)}"},
    )
    assert response.status_code == 400
    assert "after" in json.loads(response.content)["error"]


def test_the_hub_compact_command_says_what_it_removed(cred: NodeCredential, capsys: Any) -> None:
    from django.core.management import call_command

    for n in range(3):
        article_update(code="PAIN", name=f"Pain {n}")
    call_command("hub", "compact", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["superseded"] == 2
    assert data["entries_before"] - data["entries_after"] == 2
    assert data["expired"] == 0
    call_command("hub", "compact", "--before-seq", str(hub.log_head()))
    said = capsys.readouterr().out
    assert "0 remplacées par une plus récente" in said
    assert "Journal coupé jusqu'au numéro" in said


def test_a_post_of_the_previous_schema_behind_the_cut_gets_a_clear_refusal(
    cred: NodeCredential, client: Client
) -> None:
    """It cannot take a snapshot (it predates them): the 410 says what happened and what
    to do, in French, and an older client shows it as the hub's refusal."""
    old = hub.log_head(cred.till.store_id)
    article_update(code="PAIN", name="Pain coupé")
    log_compact(before_seq=hub.log_head())
    response = client.get(
        PREFIX + "pull",
        {"cursor": old},
        headers={
            "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
            "X-Comptoir-Schema": str(OLDEST_SCHEMA),
            "Authorization": f"Bearer {_token(cred)}",
        },
    )
    assert response.status_code == 410
    assert "mettez comptoir à jour" in json.loads(response.content)["error"]


@pytest.mark.django_db(transaction=True)  # (the worker closes its connections, as in serve)
def test_the_hub_compacts_once_a_day_from_its_worker(cred: NodeCredential) -> None:
    for n in range(3):
        article_update(code="PAIN", name=f"Pain {n}")
    worker = compaction.CompactionWorker()
    first = worker.cycle()
    assert first is not None
    assert first.superseded == 2
    assert worker.cycle() is None  # not due again before a day
    LogCompaction.objects.update(ran_at=timezone.now() - timedelta(days=1, minutes=1))
    assert worker.cycle() is not None


def test_the_hub_compact_command_refuses_a_horizon_out_of_range(cred: NodeCredential) -> None:
    from django.core.management import call_command

    with pytest.raises(ValidationError, match="horizon-days"):
        call_command("hub", "compact", "--horizon-days", "0")


@pytest.mark.django_db
@override_settings(COMPTOIR_ROLE="node", COMPTOIR_HUB_URL="https://hub.example.org")
def test_status_says_a_snapshot_is_under_way_until_it_is_whole() -> None:
    import io
    import json

    from django.core.management import call_command

    from comptoir.sync.models import SyncState

    def status(*args: str) -> str:
        out = io.StringIO()
        call_command("status", *args, stdout=out)
        return out.getvalue()

    assert "Reprise de l'état actuel du serveur" not in status()
    SyncState.objects.update_or_create(pk=1, defaults={"snapshot_head": 42, "snapshot_after": "x"})
    assert "Reprise de l'état actuel du serveur en cours" in status()
    assert json.loads(status("--json"))["snapshot_under_way"] is True
    SyncState.objects.filter(pk=1).update(snapshot_head=None, snapshot_after="")
    assert json.loads(status("--json"))["snapshot_under_way"] is False
