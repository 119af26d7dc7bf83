"""The permanent sync badge: one level and one plain sentence for every state of a till."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync.models import OutboxEntry, PullFailure, SyncState
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS
from comptoir.syncengine.selectors import sync_status
from comptoir.web.views import STALE_SECONDS, badge_state
from tests.factories import make_article


@pytest.fixture
def node(settings: Any, till: Till) -> Till:
    settings.COMPTOIR_ROLE = "node"
    settings.COMPTOIR_HUB_URL = "http://127.0.0.1:9"
    OutboxEntry.objects.all().delete()  # the set-up's own changes: start from an empty outbox
    return till


def _state(**fields: Any) -> None:
    SyncState.objects.update_or_create(pk=1, defaults=fields)


def _pending(count: int, till: Till) -> None:
    make_article("PAIN", "1.20")
    for _ in range(count - 1):
        invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    assert sync_status().pending == count


NOW = timezone.now()


@pytest.fixture(autouse=True)
def _now() -> None:
    """``NOW`` is the start of each test, not the import of the module: ``make check``'s
    workers import it minutes before its last test, and ``comptoir status`` reads the clock."""
    global NOW
    NOW = timezone.now()


def _badge(now: datetime | None = None) -> tuple[str, str]:
    state = badge_state(now or NOW)
    return str(state["level"]), str(state["text"])


def test_the_hub_says_it_is_the_hub(settings: Any, db: None) -> None:
    settings.COMPTOIR_ROLE = "hub"
    assert _badge() == ("ok", "Serveur central")


def test_a_till_without_hub(settings: Any, till: Till) -> None:
    settings.COMPTOIR_ROLE = "node"
    settings.COMPTOIR_HUB_URL = ""
    assert _badge() == ("offline", "Poste non relié à un serveur")


def test_synced_a_few_seconds_ago(node: Till) -> None:
    _state(last_contact_at=NOW - timedelta(seconds=3))
    assert _badge() == ("ok", "Synchronisé il y a 3 s")


def test_synced_with_changes_waiting(node: Till) -> None:
    _state(last_contact_at=NOW - timedelta(seconds=3))
    _pending(3, node)
    assert _badge() == ("pending", "Synchronisé il y a 3 s, 3 changements en attente")


def test_offline_with_changes_waiting(node: Till) -> None:
    _state(last_contact_at=NOW - timedelta(minutes=20), offline_since=NOW - timedelta(minutes=12))
    _pending(1, node)
    assert _badge() == ("offline", "Hors ligne depuis 12 min, 1 changement en attente")


def test_never_synced(node: Till) -> None:
    assert _badge() == ("pending", "Jamais synchronisé")


def test_a_contact_long_ago_is_not_shown_as_in_sync(node: Till) -> None:
    """The worker's long poll reaches the hub every 25 s: two hours of silence is news."""
    _state(last_contact_at=NOW - timedelta(hours=2))
    assert STALE_SECONDS < 7200
    assert _badge() == ("pending", "Dernier contact il y a 2 h")


def test_refused_and_unsaved_changes_are_errors(node: Till) -> None:
    _state(last_contact_at=NOW - timedelta(seconds=5))
    _pending(1, node)
    OutboxEntry.objects.update(rejected_at=NOW, rejected_reason="non")
    PullFailure.objects.create(model="catalogue.article", row_id=node.pk, reason="non")
    assert _badge() == ("error", "Synchronisé il y a 5 s, 1 refusé, 1 reçu non enregistré")


def test_a_skewed_clock_is_shown_beside_the_state(node: Till) -> None:
    _state(last_contact_at=NOW, clock_offset_ms=-(CLOCK_TOLERANCE_MS + 3 * 60_000))
    state = badge_state(NOW)
    assert state["level"] == "ok"
    assert state["skew"] == "Horloge de ce poste décalée de 5 min : corrigez l’heure du PC."


def test_a_time_slightly_in_the_future_reads_as_zero(node: Till) -> None:
    _state(last_contact_at=NOW + timedelta(seconds=2))
    assert _badge() == ("ok", "Synchronisé il y a 0 s")


def test_pushes_failing_while_pulls_succeed_is_not_in_sync(node: Till) -> None:
    """Issue 13: the long poll reached the hub every few seconds, so the till said « En
    ligne » while every push timed out and its sales stayed here."""
    from django.core.management import call_command

    from comptoir.syncengine import engine

    _state(last_contact_at=NOW - timedelta(minutes=30), last_push_at=NOW - timedelta(minutes=30))
    _pending(2, node)
    OutboxEntry.objects.update(created_at=NOW - timedelta(minutes=5))
    engine.note_failure("Le serveur ne répond pas.")  # what a failed push records
    # ...then a pull succeeds, as the long poll does: offline_since is cleared.
    _state(last_contact_at=NOW - timedelta(seconds=2), last_pull_at=NOW, offline_since=None)

    status = sync_status()
    assert not status.online
    assert status.push_failing_since == NOW - timedelta(minutes=5)
    assert _badge() == ("offline", "Envois en échec depuis 5 min, 2 changements en attente")
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "En ligne" not in out.getvalue()
    assert "Envois en échec depuis 5 min : Le serveur ne répond pas." in out.getvalue()


def test_a_push_acknowledged_after_the_failure_is_in_sync_again(node: Till) -> None:
    _state(last_contact_at=NOW - timedelta(seconds=2))
    _pending(1, node)
    engine_failure_at = NOW - timedelta(minutes=1)
    _state(last_error_at=engine_failure_at, last_error="Le serveur ne répond pas.")
    _state(last_push_at=NOW - timedelta(seconds=1))  # a later push went through
    assert sync_status().push_failing_since is None
    assert sync_status().online


def test_a_failed_pull_before_the_sale_is_no_failing_push(node: Till) -> None:
    """A pull that failed before the change was written says nothing about pushes."""
    _state(last_contact_at=NOW - timedelta(seconds=2), last_error_at=NOW - timedelta(minutes=9))
    _pending(1, node)
    assert sync_status().push_failing_since is None
    assert _badge()[0] == "pending"
