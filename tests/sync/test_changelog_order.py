"""The change log follows commit order: a puller paging by sequence never skips a change.

Two writers on PostgreSQL: T1 takes its log sequence first and commits last. Standalone
stock movements are written directly (no clock tick, no stock level), so that the only
thing that can order the two transactions is the change log's own lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction

from comptoir.catalogue.models import Article
from comptoir.stock.models import StockMovement
from comptoir.stores.models import Till
from comptoir.sync import capture
from comptoir.sync.models import ChangeLog, NodeCredential
from comptoir.syncengine import auth, hub
from tests.factories import at, make_article

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 10


@pytest.fixture
def setup(till: Till) -> tuple[NodeCredential, Article, Article]:
    first, second = make_article("T1"), make_article("T2")
    token, _ = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2"), node_id="node-2"
    )
    cred = auth.credential_for(token)
    assert cred is not None
    return cred, first, second


def _writer(
    article: Article, till: Till, traced: threading.Event, release: threading.Event | None
) -> Callable[[], None]:
    def run() -> None:
        try:
            with transaction.atomic():
                StockMovement(
                    article=article,
                    store_id=till.store_id,
                    kind="loss",
                    quantity=Decimal(-1),
                    occurred_at=at(1),
                ).save()
                traced.set()
                if release is not None:
                    assert release.wait(TIMEOUT)
        finally:
            connection.close()

    return run


def _waiting_on_log_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = %s",
            [capture.LOG_LOCK_KEY],
        )
        return bool(cursor.fetchone()[0])


def _until(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _movements_pulled(cred: NodeCredential, cursor: int) -> tuple[list[str], int]:
    page = hub.pull_page(cred, cursor, 100)
    assert not page.more
    codes = [
        Article.objects.get(pk=c.data.rows["stock.stockmovement"][0]["article_id"]).code
        for c in page.changes
        if c.model == "stock.stockmovement"
    ]
    return codes, page.cursor


def test_a_change_committed_late_is_not_skipped_by_a_puller(
    setup: tuple[NodeCredential, Article, Article],
) -> None:
    cred, first, second = setup
    start = hub.log_head()
    t1_traced, t1_release, t2_traced = threading.Event(), threading.Event(), threading.Event()
    t1 = threading.Thread(target=_writer(first, cred.till, t1_traced, t1_release))
    t2 = threading.Thread(target=_writer(second, cred.till, t2_traced, None))
    t1.start()
    try:
        assert t1_traced.wait(TIMEOUT)
        t2.start()
        _until(_waiting_on_log_lock)  # T2 queues behind T1 for its log sequence
        assert not t2_traced.is_set()
        seen, cursor = _movements_pulled(cred, start)
        assert seen == []
    finally:
        t1_release.set()
        t1.join(TIMEOUT)
        t2.join(TIMEOUT)
    more, cursor = _movements_pulled(cred, cursor)
    assert seen + more == ["T1", "T2"]


def test_without_the_log_lock_the_late_commit_would_be_skipped(
    setup: tuple[NodeCredential, Article, Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counter-proof: what the lock in ``capture.record`` prevents."""
    monkeypatch.setattr(capture, "lock_log", lambda: None)
    cred, first, second = setup
    start = hub.log_head()
    t1_traced, t1_release, t2_traced = threading.Event(), threading.Event(), threading.Event()
    t1 = threading.Thread(target=_writer(first, cred.till, t1_traced, t1_release))
    t2 = threading.Thread(target=_writer(second, cred.till, t2_traced, None))
    t1.start()
    try:
        assert t1_traced.wait(TIMEOUT)
        t2.start()
        t2.join(TIMEOUT)  # T2 took a later sequence and committed first
        seen, cursor = _movements_pulled(cred, start)
        assert seen == ["T2"]
    finally:
        t1_release.set()
        t1.join(TIMEOUT)
    more, _ = _movements_pulled(cred, cursor)
    assert more == []  # T1's change committed below the cursor: skipped for good


def test_a_push_asks_for_the_log_lock_once_and_holds_it_to_the_end(
    setup: tuple[NodeCredential, Article, Article],
) -> None:
    """``push_apply`` takes the lock first (lock order) and holds it until commit, so the
    appends inside it do not ask again; outside the block, appends ask as before."""
    from django.test.utils import CaptureQueriesContext

    from tests.sync.test_hub import node_edit

    cred, first, _second = setup
    head = hub.log_head()
    with CaptureQueriesContext(connection) as queries:
        results = hub.push_apply(cred, [node_edit(first, name="Pain de mie")])
    assert [r.status for r in results] == ["applied"]
    sql = [q["sql"] for q in queries.captured_queries]
    # Appended (by COPY, which the query log does not show) under the one lock.
    assert ChangeLog.objects.filter(seq__gt=head, row_id=first.pk).exists()
    assert len([statement for statement in sql if "pg_advisory_xact_lock" in statement]) == 1
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        capture.lock_log()  # the block is over: a later transaction takes it again
    assert any("pg_advisory_xact_lock" in q["sql"] for q in queries.captured_queries)
