"""Two pushes of the same changes by one node, overlapping on the hub (PostgreSQL).

A till that timed out retries while the hub still applies its first request: the retry
must be answered ``duplicate``, never ``rejected`` because the first one's rows exist.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.syncengine import auth, hub
from comptoir.syncengine.protocol import Change, Result
from tests.factories import at, make_article
from tests.sync.helpers import fact_change

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 10


def _others_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        return bool(cursor.fetchone()[0])


def _until(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _receipt_never_made() -> Change:
    """A stock receipt the hub does not have: a real one's content under a new id."""
    movement = stock_receive(article="PAIN", quantity=3, at=at(2))
    data = wire.fact_aggregates("stock.stockmovement", [movement.pk])[movement.pk]
    new_id = uuid.uuid4()
    data["rows"]["stock.stockmovement"][0]["id"] = str(new_id)
    return fact_change("stock.stockmovement", new_id, data)


def test_a_retry_overlapping_the_first_push_is_a_duplicate(
    till: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_article("PAIN", "1.20")
    token, _ = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2"), node_id="node-2"
    )
    cred = auth.credential_for(token)
    assert cred is not None
    change = _receipt_never_made()

    applied, release = threading.Event(), threading.Event()
    real_apply = hub.apply_batch  # facts apply set-wise: slow the whole batch

    def slow_first(*args: Any, **kwargs: Any) -> Any:
        outcome = real_apply(*args, **kwargs)
        if threading.current_thread().name == "first":
            applied.set()
            assert release.wait(TIMEOUT)
        return outcome

    monkeypatch.setattr(hub, "apply_batch", slow_first)
    results: dict[str, list[Result]] = {}

    def push(name: str) -> None:
        try:
            results[name] = hub.push_apply(cred, [change])
        finally:
            connection.close()

    first = threading.Thread(target=push, args=("first",), name="first")
    retry = threading.Thread(target=push, args=("retry",), name="retry")
    first.start()
    try:
        assert applied.wait(TIMEOUT)
        retry.start()
        _until(_others_waiting_on_a_lock)
    finally:
        release.set()
        first.join(TIMEOUT)
        retry.join(TIMEOUT)

    assert [r.status for r in results["first"]] == ["applied"]
    assert [r.status for r in results["retry"]] == ["duplicate"], results["retry"]
