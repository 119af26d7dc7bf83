"""Compaction beside pushes that commit late (PostgreSQL): the log is cut only up to a
sequence every ordering domain has committed past, so no puller skips a late commit.

Without that, a store's push holding sequence ``s`` open while another store commits
``s + 1`` would let the cut pass ``s`` with the store's cut below it: the entry, once
committed, would be deleted by a later chunk while the store's tills are not told.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from comptoir.stock.services import stock_receive_block
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync import wire
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, compaction, hub
from comptoir.syncengine.compaction import Behind, log_compact
from comptoir.syncengine.protocol import Change
from tests.factories import at, make_article
from tests.sync.helpers import fact_change

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 10
MAIN, SECOND = "Magasin principal", "Magasin 2"


def _cred(name: str, store: str, node: str) -> NodeCredential:
    token, _ = auth.enrollment_redeem(
        code=auth.enrollment_create(name=name, store=store), node_id=node
    )
    cred = auth.credential_for(token)
    assert cred is not None
    return cred


def _receipt(store: str) -> Change:
    with transaction.atomic():
        movement = stock_receive_block(article="PAIN", quantity=1, store=store, at=at(2))
        data = wire.fact_aggregates("stock.stockmovement", [movement.pk])[movement.pk]
        transaction.set_rollback(True)
    return fact_change("stock.stockmovement", movement.pk, data)


def _in_thread(target: Any, name: str) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(target())
        except BaseException as exc:
            out.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, out


def test_the_cut_waits_for_a_push_under_way_and_its_store_s_tills_are_then_told(
    till: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_get_or_create(name=SECOND, currency="EUR")
    make_article("PAIN", "1.20")
    push_a, pull_a = _cred("A pousse", MAIN, "node-a1"), _cred("A lit", MAIN, "node-a2")
    push_b = _cred("B pousse", SECOND, "node-b1")
    cursor = hub.log_head(pull_a.till.store_id)
    applied, release = threading.Event(), threading.Event()
    real = hub.apply_batch

    def apply_then_hold(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        if threading.current_thread().name == "held":
            applied.set()
            assert release.wait(TIMEOUT)
        return outcome

    monkeypatch.setattr(hub, "apply_batch", apply_then_hold)
    late, other = _receipt(MAIN), _receipt(SECOND)  # (made on the hub: before the hold)
    held, held_out = _in_thread(lambda: hub.push_apply(push_a, [late]), "held")
    assert applied.wait(TIMEOUT)
    # Another store commits above the held push's sequence meanwhile.
    assert hub.push_apply(push_b, [other])[0].status == "applied"
    compacting, compacted = _in_thread(lambda: log_compact(before_seq=10**12), "compact")
    time.sleep(0.5)
    assert compacting.is_alive(), f"the cut did not wait for the push under way: {compacted}"
    release.set()
    held.join(TIMEOUT)
    compacting.join(TIMEOUT)
    assert held_out[0][0].status == "applied"
    report = compacted[0]
    assert not isinstance(report, BaseException), report
    assert report.through >= hub.log_head(pull_a.till.store_id)
    # The late push was committed below the cut: its store's tills are told to re-bootstrap.
    assert compaction.cut_for(pull_a.till.store_id) > cursor
    with pytest.raises(Behind):
        hub.pull_page(pull_a, cursor, 100, touch=False)


def test_two_compactions_at_once_are_one_and_a_refusal(till: Till) -> None:
    """The hub's groups each run the daily worker: the second finds the first at work."""
    from comptoir.lib.errors import ComptoirError

    with connection.cursor() as cursor:  # another process's compaction, in its session
        cursor.execute("SELECT pg_advisory_lock(%s)", [compaction.COMPACT_LOCK_KEY])
    try:
        thread, out = _in_thread(lambda: log_compact(), "second")
        thread.join(TIMEOUT)
        assert isinstance(out[0], ComptoirError)
        assert "déjà en cours" in out[0].message
        worker, cycled = _in_thread(lambda: compaction.CompactionWorker().cycle(), "worker")
        worker.join(TIMEOUT)
        assert cycled == [None]  # due, but left to the other process
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [compaction.COMPACT_LOCK_KEY])
    assert compaction.compaction_due()
    log_compact()
    assert not compaction.compaction_due()
