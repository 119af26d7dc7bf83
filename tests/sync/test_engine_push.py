"""The node's push loop against a hub that answers oddly (a stand-in for the HTTP client;
the real client and hub are exercised by tests/scenario)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from comptoir.catalogue.services import article_create
from comptoir.sync.models import OutboxEntry
from comptoir.syncengine import engine
from comptoir.syncengine.client import HubRefused
from comptoir.syncengine.protocol import Change, PushReply, Result, Status


class AnsweringHub:
    """Answers every push with ``status`` for each change (or with no result at all)."""

    def __init__(self, status: Status | None) -> None:
        self.status = status
        self.pushes = 0
        self.last_hub_time = None
        self.pending: list[int | None] = []

    def push(self, changes: list[Change], *, pending: int | None = None) -> PushReply:
        self.pushes += 1
        self.pending.append(pending)
        if self.status is None:
            return PushReply(results=[])
        return PushReply(results=[Result(c.id, self.status, "non") for c in changes])


@override_settings(COMPTOIR_ROLE="node")
def test_acknowledged_changes_leave_the_outbox(till: Any) -> None:
    article_create(code="A", name="Article A", sale_price="1.00")
    hub = AnsweringHub("applied")
    report = engine.push(hub)  # type: ignore[arg-type]
    assert report.sent["catalogue.article"] == 1
    assert not OutboxEntry.objects.exists()


@override_settings(COMPTOIR_ROLE="node")
def test_refused_changes_stay_flagged_with_their_reason(till: Any) -> None:
    article_create(code="A", name="Article A", sale_price="1.00")
    report = engine.push(AnsweringHub("rejected"))  # type: ignore[arg-type]
    assert report.rejected == [("catalogue.article", "non")]
    entry = OutboxEntry.objects.get()
    assert (entry.rejected_reason, entry.rejected_at is not None) == ("non", True)


@override_settings(COMPTOIR_ROLE="node")
def test_a_hub_answering_for_nothing_stops_the_push_instead_of_looping(till: Any) -> None:
    article_create(code="A", name="Article A", sale_price="1.00")
    hub = AnsweringHub(None)
    with pytest.raises(HubRefused):
        engine.push(hub)  # type: ignore[arg-type]
    assert hub.pushes == 1
    assert OutboxEntry.objects.filter(rejected_at=None).count() == 1  # still to send


@override_settings(COMPTOIR_ROLE="node")
def test_the_batch_that_drains_the_outbox_tells_the_hub_so(
    till: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A till that streams sends no pull: its pushes tell the hub's sync page that its
    outbox is empty once it is (the earlier ones say nothing: counting costs a scan)."""
    monkeypatch.setattr(engine, "PUSH_ROOTS", 1)
    article_create(code="A", name="Article A", sale_price="1.00")
    article_create(code="B", name="Article B", sale_price="1.00")
    hub = AnsweringHub("applied")
    engine.push(hub)  # type: ignore[arg-type]
    assert hub.pending == [None, 0]
