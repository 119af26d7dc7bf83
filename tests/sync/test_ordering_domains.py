"""Ordering domains on the hub (PostgreSQL): a store's pushes never wait for another
store's, and a puller paging by cursor still never skips a change that commits late.

A store's domain is its rows plus the rows every store sees (reference data). A push of
one store's facts takes the global lock shared and its store's lock; a writer of
reference data takes the global lock exclusively (``capture``). Pullers move their
cursor to their domain's head only (``hub.log_head(store)``).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from comptoir.catalogue.models import Article
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.stock.services import stock_receive_block
from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync import capture, wire
from comptoir.sync.models import ChangeLog, IntegrityAlert, NodeCredential
from comptoir.syncengine import auth, hub, stream
from comptoir.syncengine.protocol import Change, Result
from tests.factories import at, make_article
from tests.sync.helpers import fact_change

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 10
MAIN, SECOND = "Magasin principal", "Magasin 2"
# Receipts of different articles lock different stock levels: only the ordering locks
# can order their pushes.
ARTICLES = ("PAIN", "LAIT", "BEURRE")


def _cred(name: str, store: str, node: str) -> NodeCredential:
    token, _ = auth.enrollment_redeem(
        code=auth.enrollment_create(name=name, store=store), node_id=node
    )
    cred = auth.credential_for(token)
    assert cred is not None
    return cred


@pytest.fixture
def creds(till: Till) -> dict[str, NodeCredential]:
    """Per store, a till that pushes and one that pulls (a till never pulls its own)."""
    store_get_or_create(name=SECOND, currency="EUR")
    for code in ARTICLES:
        make_article(code, "1.20")
    return {
        "push_a": _cred("A pousse", MAIN, "node-a1"),
        "push_a2": _cred("A pousse aussi", MAIN, "node-a3"),
        "pull_a": _cred("A lit", MAIN, "node-a2"),
        "push_b": _cred("B pousse", SECOND, "node-b1"),
        "pull_b": _cred("B lit", SECOND, "node-b2"),
    }


def _receipt(store: str, article: str = "PAIN") -> Change:
    """A stock receipt of ``store`` that the hub does not hold (made, read, rolled back)."""
    with transaction.atomic():
        movement = stock_receive_block(article=article, quantity=1, store=store, at=at(2))
        data = wire.fact_aggregates("stock.stockmovement", [movement.pk])[movement.pk]
        transaction.set_rollback(True)
    return fact_change("stock.stockmovement", movement.pk, data)


def _pulled(cred: NodeCredential, cursor: int) -> tuple[list[str], int]:
    """Every change the node sees after ``cursor`` (all pages): row ids, and the cursor."""
    rows: list[str] = []
    while True:
        page = hub.pull_page(cred, cursor, 100, touch=False)
        rows += [change.row for change in page.changes]
        assert page.cursor >= cursor
        cursor = page.cursor
        if not page.more:
            return rows, cursor


def _waiting_pids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def _until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.01)


class Held:
    """Pushes in threads named ``held*`` stop after applying, before commit, until
    ``release`` is set (their locks held): ``applied`` tells when they got there."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.applied, self.release = threading.Event(), threading.Event()
        real = hub.apply_batch

        def apply_then_hold(*args: Any, **kwargs: Any) -> Any:
            outcome = real(*args, **kwargs)
            if threading.current_thread().name.startswith("held"):
                self.applied.set()
                assert self.release.wait(TIMEOUT)
            return outcome

        monkeypatch.setattr(hub, "apply_batch", apply_then_hold)


class Pusher(threading.Thread):
    def __init__(self, name: str, work: Callable[[], Any]) -> None:
        super().__init__(name=name, daemon=True)
        self.work, self.result = work, None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()
            self.done.set()

    def outcome(self) -> Any:
        self.join(TIMEOUT)
        assert not self.is_alive(), f"{self.name} still running"
        if self.error is not None:
            raise self.error
        return self.result


def _statuses(results: list[Result]) -> list[str]:
    return [r.status for r in results]


def test_a_store_pushes_while_another_store_s_push_is_open(
    creds: dict[str, NodeCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Store A's push holds its transaction after its appends; store B's push commits
    meanwhile (one global lock made it wait). A's puller, paging meanwhile, is not moved
    past A's late commit (the whole log's head, B's entry, is above A's entry); B's
    puller gets B's entry at once. A reference edit (every store sees it) waits."""
    held = Held(monkeypatch)
    a_change, b_change = _receipt(MAIN), _receipt(SECOND)
    start = hub.log_head()
    a_push = Pusher("held-a", lambda: hub.push_apply(creds["push_a"], [a_change]))
    a_push.start()
    editor = None
    try:
        assert held.applied.wait(TIMEOUT)
        b_push = Pusher("b", lambda: hub.push_apply(creds["push_b"], [b_change]))
        b_push.start()
        assert b_push.done.wait(TIMEOUT), "store B's push waited for store A's"
        assert _statuses(b_push.outcome()) == ["applied"]

        def edit() -> None:
            article = Article.objects.get(code="PAIN")
            article.name = "Pain de campagne"
            article.save()

        editor = Pusher("edit", edit)
        editor.start()
        _until(lambda: bool(_waiting_pids()), "the reference edit waits for store A")
        assert not editor.done.is_set()

        b_rows, b_cursor = _pulled(creds["pull_b"], start)
        assert b_rows == [b_change.row]
        a_rows, a_cursor = _pulled(creds["pull_a"], start)
        assert a_rows == []
        # The stream's feed of store A stops at the same head.
        feed = stream.store_batch(str(creds["pull_a"].till.store_id), start)
        assert (feed.entries, feed.end) == ([], a_cursor)
    finally:
        held.release.set()
    assert _statuses(a_push.outcome()) == ["applied"]
    assert editor is not None
    editor.outcome()
    a_seq = ChangeLog.objects.get(row_id=a_change.row).seq
    b_seq = ChangeLog.objects.get(row_id=b_change.row).seq
    assert a_cursor < a_seq < b_seq  # A's sequence first, its commit last; not skipped
    more_a, _ = _pulled(creds["pull_a"], a_cursor)
    article = str(Article.objects.get(code="PAIN").pk)
    assert more_a == [a_change.row, article]  # the late commit, then the edit
    more_b, _ = _pulled(creds["pull_b"], b_cursor)
    assert more_b == [article]  # the edit reaches every store


def test_a_late_commit_within_one_store_is_not_skipped(
    creds: dict[str, NodeCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The out-of-order test within one domain: two pushes of store A, the first takes
    its sequence first and commits last; the second waits for it (same store), though
    it writes other rows (another article's stock level)."""
    held = Held(monkeypatch)
    first, second = _receipt(MAIN, "PAIN"), _receipt(MAIN, "LAIT")
    other = creds["push_a2"]
    start = hub.log_head()
    t1 = Pusher("held-1", lambda: hub.push_apply(creds["push_a"], [first]))
    t1.start()
    try:
        assert held.applied.wait(TIMEOUT)
        t2 = Pusher("t2", lambda: hub.push_apply(other, [second]))
        t2.start()
        _until(lambda: bool(_waiting_pids()), "the second push waits for the first")
        seen, cursor = _pulled(creds["pull_a"], start)
        assert seen == []
    finally:
        held.release.set()
    assert _statuses(t1.outcome()) == _statuses(t2.outcome()) == ["applied"]
    more, _ = _pulled(creds["pull_a"], cursor)
    assert seen + more == [first.row, second.row]


def test_a_push_that_writes_outside_its_store_is_applied_again_under_the_global_lock(
    creds: dict[str, NodeCredential], caplog: pytest.LogCaptureFixture
) -> None:
    """Store B's push carries a movement of store A: refused, and the hub records an
    integrity alert event on its own post, in store A. Under store B's lock that write
    is out of its domain: the push is rolled back and applied again under the global
    lock, with the same answers and nothing twice."""
    good, foreign = _receipt(SECOND), _receipt(MAIN)
    start = hub.log_head()
    with caplog.at_level(logging.INFO, logger="comptoir.sync"):
        results = hub.push_apply(creds["push_b"], [good, foreign])
    assert _statuses(results) == ["applied", "rejected"]
    assert any("verrou global" in r.getMessage() for r in caplog.records)
    assert ChangeLog.objects.filter(seq__gt=start, row_id=good.row).count() == 1
    assert IntegrityAlert.objects.filter(row_id=foreign.row).count() == 1
    event = TechnicalEvent.objects.get(kind=EventKind.INTEGRITY_ALERT)
    assert event.store_id != creds["push_b"].till.store_id
    rows, _ = _pulled(creds["pull_a"], start)
    assert str(event.pk) in rows
    assert good.row not in rows


def test_a_block_holding_a_store_domain_refuses_to_trace_outside_it(
    creds: dict[str, NodeCredential],
) -> None:
    store_b = Store.objects.get(name=SECOND)
    article = Article.objects.get(code="PAIN")
    with transaction.atomic(), capture.log_locked(store_b.pk):
        capture.record([("stock.stockmovement", uuid.uuid4(), store_b.pk)])  # its own: fine
        with pytest.raises(capture.DomainEscape):
            capture.record([("catalogue.article", article.pk, None)])
        with pytest.raises(capture.DomainEscape):
            capture.lock_log(creds["push_a"].till.store_id)
        capture.lock_log(store_b.pk)  # held already
        transaction.set_rollback(True)
    with transaction.atomic(), capture.log_locked():  # the global lock: anything goes
        capture.record([("catalogue.article", article.pk, None)])
        capture.lock_log(creds["push_a"].till.store_id)
        transaction.set_rollback(True)


def test_interleaved_writers_of_two_stores_and_reference_data_skip_nothing(
    creds: dict[str, NodeCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stores' pushes and reference edits, each holding its transaction a random
    moment after its appends, while both stores' pullers page: each puller gets every
    entry of its domain, in sequence order, and nothing of the other store."""
    rng = random.Random(17)
    real = hub.apply_batch

    def apply_then_linger(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        # Store A's pushes linger longer: store B's often commit meanwhile.
        longest = 0.06 if threading.current_thread().name.startswith("a") else 0.005
        time.sleep(rng.random() * longest)
        return outcome

    monkeypatch.setattr(hub, "apply_batch", apply_then_linger)
    changes = {
        name: [_receipt(store, ARTICLES[n % 3]) for n in range(5)]
        for name, store in (("push_a", MAIN), ("push_a2", MAIN), ("push_b", SECOND))
    }
    start = hub.log_head()
    stop = threading.Event()

    def pusher(name: str) -> Callable[[], None]:
        def run() -> None:
            for change in changes[name]:
                assert _statuses(hub.push_apply(creds[name], [change])) == ["applied"]

        return run

    def editor() -> None:
        for n in range(6):
            with transaction.atomic():
                article = Article.objects.get(code="PAIN")
                article.name = f"Pain {n}"
                article.save()
                time.sleep(rng.random() * 0.03)

    def puller(name: str, seen: list[Change]) -> Callable[[], int]:
        def run() -> int:
            cursor = start
            while True:
                last = stop.is_set()  # one more pull after the writers are done
                while True:
                    page = hub.pull_page(creds[name], cursor, 100, touch=False)
                    seen.extend(page.changes)
                    cursor = page.cursor
                    if not page.more:
                        break
                if last:
                    return cursor
                time.sleep(0.005)

        return run

    seen_a: list[Change] = []
    seen_b: list[Change] = []
    readers = [
        Pusher("pull-a", puller("pull_a", seen_a)),
        Pusher("pull-b", puller("pull_b", seen_b)),
    ]
    writers = [
        Pusher("a1", pusher("push_a")),
        Pusher("a2", pusher("push_a2")),
        Pusher("b", pusher("push_b")),
        Pusher("ed", editor),
    ]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.outcome()
    stop.set()
    for thread in readers:
        thread.outcome()

    # No skip: every entry of a puller's domain (not its own) reached it, or a later
    # entry of the same row did (a page sends a row's latest state once).
    seq_of = {
        str(uuid.uuid5(hub.LOG_NAMESPACE, str(seq))): seq
        for seq in ChangeLog.objects.filter(seq__gt=start).values_list("seq", flat=True)
    }
    article = str(Article.objects.get(code="PAIN").pk)
    for name, seen, own, other in (
        ("pull_a", seen_a, changes["push_a"] + changes["push_a2"], changes["push_b"]),
        ("pull_b", seen_b, changes["push_b"], changes["push_a"] + changes["push_a2"]),
    ):
        got: dict[str, int] = {}
        for change in seen:
            got[change.row] = max(got.get(change.row, 0), seq_of[change.id])
        store = creds[name].till.store_id
        for seq, row in ChangeLog.objects.filter(seq__gt=start).values_list("seq", "row_id"):
            entry = ChangeLog.objects.get(seq=seq)
            if entry.store_id in (None, store):
                assert got.get(str(row), 0) >= seq, f"{name} skipped {entry}"
        movements = [c.row for c in seen if c.row != article]
        assert sorted(movements) == sorted(c.row for c in own)  # each once
        assert not {c.row for c in other} & {c.row for c in seen}
