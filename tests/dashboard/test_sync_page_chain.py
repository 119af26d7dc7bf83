"""The hub's sync page at chain scale: a summary of every till in a few queries, then one
page of tills (those needing attention first), filtered by state, store and name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptoir.dashboard.sync_selectors import (
    NODES_PER_PAGE,
    node_lag,
    node_lags,
    nodes_page,
    nodes_summary,
)
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync.models import IntegrityAlert, NodeCredential
from comptoir.syncengine.auth import enrollment_create, enrollment_redeem
from tests.factories import make_article

SYNC = reverse("sync:index")


@pytest.fixture
def hub(settings: Any, till: Till) -> None:
    settings.COMPTOIR_ROLE = "hub"


def _chain(stores: range, tills: int) -> None:
    """Stores ``Magasin NN`` with ``tills`` enrolled tills each (``Caisse NN-M``), all
    seen just now."""
    for s in stores:
        store = store_get_or_create(name=f"Magasin {s:02d}")
        for t in range(1, tills + 1):
            code = enrollment_create(name=f"Caisse {s:02d}-{t}", store=store.name)
            enrollment_redeem(code=code, node_id=f"node-{s:02d}-{t}", version="1.0")
    NodeCredential.objects.update(last_seen_at=timezone.now())


def _queries(client: Client, params: dict[str, str] | None = None) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SYNC, params or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.usefixtures("hub")
def test_the_sync_page_costs_the_same_queries_for_6_tills_and_for_150(
    manager: Client, till: Till
) -> None:
    make_article("PAIN", "1.20")
    _chain(range(1, 4), 2)
    IntegrityAlert.objects.create(
        node_id="node-02-1", model="sales.invoice", row_id=till.pk, reason="x"
    )
    manager.get(SYNC)  # warm the session and the caches
    small, response = _queries(manager)
    assert response.context["summary"].total == 6
    _chain(range(4, 31), 5)
    big, response = _queries(manager)
    assert response.context["summary"].total == 6 + 27 * 5
    assert len(response.context["nodes"]) == NODES_PER_PAGE
    assert big == small
    assert _queries(manager, {"caisses": "3", "etat": "online", "q": "Caisse"})[0] == small


@pytest.mark.usefixtures("hub")
def test_the_summary_counts_every_till_by_state(manager: Client, till: Till) -> None:
    _chain(range(1, 3), 3)
    now = timezone.now()
    NodeCredential.objects.filter(node_id="node-01-1").update(last_seen_at=now - timedelta(hours=2))
    NodeCredential.objects.filter(node_id="node-01-2").update(last_seen_at=None)
    NodeCredential.objects.filter(node_id="node-02-1").update(revoked_at=now, pending_count=4)
    NodeCredential.objects.filter(node_id="node-02-2").update(pending_count=3)
    IntegrityAlert.objects.create(
        node_id="node-02-3", model="sales.invoice", row_id=till.pk, reason="x"
    )
    summary = nodes_summary(now=now)
    assert (summary.total, summary.online, summary.late, summary.never, summary.revoked) == (
        6,
        3,
        1,
        1,
        1,
    )
    assert (summary.pending, summary.alerts, summary.attention) == (1, 1, 3)
    # The page says so, and lists the tills needing attention first.
    response = manager.get(SYNC)
    html = response.content.decode()
    assert "6 caisses enrôlées" in html
    assert "1 sans contact depuis plus de 5 minutes" in html
    assert [n.node_id for n in response.context["nodes"]][:5] == [
        "node-02-3",  # an integrity alert
        "node-01-1",  # late
        "node-02-2",  # sales to send
        "node-01-2",  # never seen
        "node-02-1",  # revoked
    ]
    # One store's account counts its store's tills only.
    store = NodeCredential.objects.get(node_id="node-01-1").till.store
    assert nodes_summary(store_ids=[store.pk], now=now).total == 3


@pytest.mark.usefixtures("hub")
def test_the_tills_are_paged_and_filtered_by_state_store_and_name(manager: Client) -> None:
    _chain(range(1, 13), 5)  # 60 tills: two pages
    NodeCredential.objects.filter(node_id__startswith="node-11-").update(
        last_seen_at=timezone.now() - timedelta(days=1)
    )
    first = manager.get(SYNC)
    assert len(first.context["nodes"]) == NODES_PER_PAGE
    assert {n.node_id for n in first.context["nodes"][:5]} == {f"node-11-{t}" for t in range(1, 6)}
    html = first.content.decode()
    assert "Page 1 sur 2" in html
    assert "caisses=2" in html
    second = manager.get(SYNC, {"caisses": "2"})
    shown = [n.node_id for n in first.context["nodes"]] + [
        n.node_id for n in second.context["nodes"]
    ]
    assert len(shown) == len(set(shown)) == 60

    late = manager.get(SYNC, {"etat": "late"}).context["nodes"]
    assert sorted(n.node_id for n in late) == [f"node-11-{t}" for t in range(1, 6)]
    assert all(n.late for n in late)
    by_store = manager.get(SYNC, {"magasin": "gasin 03"}).context["nodes"]
    assert {n.store for n in by_store} == {"Magasin 03"}
    assert len(by_store) == 5
    by_name = manager.get(SYNC, {"q": "caisse 04-2"}).context["nodes"]
    assert [n.node_id for n in by_name] == ["node-04-2"]
    none = manager.get(SYNC, {"etat": "revoked"})
    assert none.context["nodes"] == []
    assert "Aucune caisse ne répond à ces critères." in none.content.decode()
    # An unknown state shows every till, not an error.
    assert manager.get(SYNC, {"etat": "n'importe"}).context["tills"].paginator.count == 60


@pytest.mark.usefixtures("hub")
def test_the_lags_of_a_page_come_in_one_query_and_match_each_tills(
    django_assert_num_queries: Any,
) -> None:
    _chain(range(1, 3), 2)
    make_article("PAIN", "1.20")
    make_article("VIN", "8.90")
    NodeCredential.objects.filter(node_id="node-01-1").update(pull_cursor=10**9)
    creds = list(nodes_page())
    with django_assert_num_queries(1):
        lags = node_lags(creds)
    assert lags == [node_lag(c) for c in creds]
    assert lags[[c.node_id for c in creds].index("node-01-1")] == 0
    assert max(lags) >= 2


@pytest.mark.usefixtures("hub")
def test_the_journal_state_is_counted_not_read_whole(manager: Client) -> None:
    """Three chains checked per till: the page counts them in the database and lists the
    first 50 that are not whole, saying how many there are in all."""
    from comptoir.dashboard.sync_views import JOURNAL_PROBLEMS_SHOWN
    from comptoir.journal.models import ChainCheck
    from comptoir.journal.verify import checks_summary

    _chain(range(1, 31), 2)
    for n, till in enumerate(Till.objects.order_by("prefix")):
        for chain in ("doc", "close"):
            pending = chain == "doc" and n > 0
            ChainCheck.objects.create(
                till=till, chain=chain, status="pending" if pending else "whole"
            )
    assert checks_summary()["problem_count"] == 60
    assert len(checks_summary()["problems"]) == 60  # comptoir status: every one
    response = manager.get(SYNC)
    journal = response.context["journal"]
    assert (journal["status"], journal["problem_count"]) == ("pending", 60)
    assert len(journal["problems"]) == JOURNAL_PROBLEMS_SHOWN
    assert "60 chaînes ne sont pas intègres en tout" in response.content.decode()
    store = NodeCredential.objects.get(node_id="node-04-1").till.store
    assert checks_summary([store.pk])["problem_count"] == 2
