"""A till whose clock runs ahead: the hub refuses its future stamps, then the till
rewinds to the hub's time and re-stamps its unsent edits, which are then accepted."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_create, article_update
from comptoir.sync import clock, wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import OutboxEntry, SyncState
from comptoir.syncengine import engine
from comptoir.syncengine.apply import apply_change
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS, Change, change_of

HOUR_MS = 3_600_000


def _latest_wall(article: Article) -> int:
    return max(Timestamp.decode(c).wall_ms for c in article.sync_clocks.values())


def _change(article: Article) -> Change:
    state = wire.reference_states("catalogue.article", [article.pk])[article.pk]
    label, row = "catalogue.article", str(article.pk)
    return change_of("reference", id=str(uuid.uuid4()), model=label, row=row, data=state)


@override_settings(COMPTOIR_ROLE="node")
def test_a_till_fast_by_an_hour_is_refused_then_rewinds_and_is_accepted(
    till: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_now = clock.wall_ms()
    monkeypatch.setattr(clock, "wall_ms", lambda: real_now + HOUR_MS)
    article_create(code="A", name="Article A", sale_price="2.50")
    article_update(code="A", sale_price="2.60")
    article = Article.objects.get(code="A")
    assert _latest_wall(article) >= real_now + HOUR_MS

    # The hub (its own clock right) refuses these stamps: they would win every conflict.
    refused = apply_change(_change(article), origin="till", hub_now_ms=real_now)
    assert refused.status == "rejected"
    assert "horloge" in refused.reason

    # The till learns the hub's time at its next contact: it rewinds and re-stamps.
    monkeypatch.setattr(clock, "wall_ms", lambda: real_now + HOUR_MS + 1000)
    engine._contact(SimpleNamespace(last_hub_time=real_now + 1000))  # type: ignore[arg-type]
    article.refresh_from_db()
    assert _latest_wall(article) <= real_now + 1000 + CLOCK_TOLERANCE_MS
    assert Timestamp.decode(SyncState.objects.get(pk=1).hlc).wall_ms <= real_now + 2000
    assert OutboxEntry.objects.filter(row_id=article.pk, rejected_at=None).exists()
    assert article.sale_price == 260  # the edit itself is kept

    accepted = apply_change(_change(article), origin="till", hub_now_ms=real_now + 1000)
    assert accepted.status in ("applied", "duplicate")

    # And later edits on the till are stamped with the hub's time, not its own.
    article_update(code="A", name="Article A bis")
    article.refresh_from_db()
    assert _latest_wall(article) <= real_now + 5000 + CLOCK_TOLERANCE_MS


@override_settings(COMPTOIR_ROLE="node")
def test_a_clock_within_tolerance_is_never_rewound(till: Any) -> None:
    article_create(code="A", name="Article A", sale_price="2.50")
    before = SyncState.objects.get(pk=1).hlc
    engine._contact(SimpleNamespace(last_hub_time=clock.wall_ms() - 60_000))  # type: ignore[arg-type]
    assert SyncState.objects.get(pk=1).hlc == before
