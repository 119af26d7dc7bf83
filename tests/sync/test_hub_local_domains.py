"""Writes made at the hub's own post (PostgreSQL) hold their store's ordering domain only
(``capture.store_use_case``): a sale, a cash movement, an event or a stock receipt of store
A held open does not hold up a push of store B, while A's puller still never skips its late
commit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from comptoir.cash.services import cash_in, session_open
from comptoir.catalogue.models import Article
from comptoir.events.services import post_started
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stock.services import stock_receive
from comptoir.sync import capture
from comptoir.sync.models import ChangeLog, NodeCredential
from comptoir.syncengine import hub
from tests.sync.test_ordering_domains import (
    SECOND,
    TIMEOUT,
    Pusher,
    _pulled,
    _receipt,
    _statuses,
    creds,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
__all__ = ["creds"]  # the fixture, shared with the ordering tests

WRITES: dict[str, Callable[[], Any]] = {
    "sale": lambda: invoice_sell(lines=[SaleLine("PAIN", 1)]),
    "cash movement": lambda: cash_in(amount="20", reason="Monnaie de la banque"),
    "event": lambda: post_started(version="9.9"),
    "stock receipt": lambda: stock_receive(article="LAIT", quantity=2),
}


class HeldRecord:
    """Traces recorded in threads named ``held*`` stop there, before commit, until
    ``release`` is set (their locks held): ``recorded`` tells when they got there."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.recorded, self.release = threading.Event(), threading.Event()
        real = capture.record

        def record_then_hold(*args: Any, **kwargs: Any) -> None:
            real(*args, **kwargs)
            if threading.current_thread().name.startswith("held"):
                self.recorded.set()
                assert self.release.wait(TIMEOUT)

        monkeypatch.setattr(capture, "record", record_then_hold)


@pytest.mark.parametrize("write", list(WRITES))
def test_a_hub_local_write_of_one_store_held_open_does_not_block_another_store_s_push(
    creds: dict[str, NodeCredential], monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    if write == "cash movement":
        session_open(amount="0")
    b_change = _receipt(SECOND)
    start = hub.log_head()
    held = HeldRecord(monkeypatch)
    local = Pusher("held-local", WRITES[write])
    local.start()
    try:
        assert held.recorded.wait(TIMEOUT)
        b_push = Pusher("b", lambda: hub.push_apply(creds["push_b"], [b_change]))
        b_push.start()
        assert b_push.done.wait(TIMEOUT), f"store B's push waited for the hub's {write}"
        assert _statuses(b_push.outcome()) == ["applied"]
        b_rows, _ = _pulled(creds["pull_b"], start)
        assert b_rows == [b_change.row]
        a_rows, a_cursor = _pulled(creds["pull_a"], start)
        assert a_rows == []  # not moved past the local write, which commits later
    finally:
        held.release.set()
    local.outcome()
    entries = ChangeLog.objects.filter(seq__gt=a_cursor).exclude(row_id=b_change.row)
    local_rows = [str(row) for row in entries.order_by("seq").values_list("row_id", flat=True)]
    assert local_rows
    more_a, _ = _pulled(creds["pull_a"], a_cursor)
    assert more_a == local_rows  # the late commit, not skipped
    assert {str(s) for s in entries.values_list("store_id", flat=True)} == {
        str(creds["push_a"].till.store_id)
    }


def test_a_hub_local_sale_that_writes_outside_its_store_is_made_again_under_the_global_lock(
    creds: dict[str, NodeCredential],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sale whose transaction comes to write a row every store sees (here, forced): it
    is rolled back and made again under the global lock, once."""
    real = capture.record
    article = Article.objects.get(code="PAIN")

    def record_with_a_reference_row(*args: Any, **kwargs: Any) -> None:
        real([("catalogue.article", article.pk, None)])
        real(*args, **kwargs)

    monkeypatch.setattr(capture, "record", record_with_a_reference_row)
    with caplog.at_level(logging.INFO, logger="comptoir.sync"):
        invoice = invoice_sell(lines=[SaleLine("PAIN", 1)])
    assert any("verrou global" in r.getMessage() for r in caplog.records)
    assert Invoice.objects.count() == 1
    assert invoice.number.endswith("-000001")
    assert ChangeLog.objects.filter(row_id=invoice.pk).count() == 1
