"""The persisted hybrid logical clock (``sync.clock``): never backwards, even across restarts."""

from __future__ import annotations

import pytest
from django.conf import settings

from comptoir.sync import clock
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import SyncState


def _set_wall(monkeypatch: pytest.MonkeyPatch, ms: int) -> None:
    monkeypatch.setattr(clock, "wall_ms", lambda: ms)


def test_ticks_are_persisted_and_follow_the_wall_clock(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_wall(monkeypatch, 1_700_000_000_000)
    first = clock.tick()
    assert SyncState.objects.get(pk=1).hlc == first
    assert Timestamp.decode(first) == Timestamp(1_700_000_000_000, 0, settings.COMPTOIR_NODE_ID)
    assert Timestamp.decode(clock.tick()).counter == 1


def test_after_a_restart_with_the_wall_clock_set_back_ticks_still_move_forward(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_wall(monkeypatch, 1_700_000_500_000)
    before = clock.tick()
    # A restart: nothing survives but the database row; the machine's clock went back.
    stored = SyncState.objects.get(pk=1)
    assert stored.hlc == before
    _set_wall(monkeypatch, 1_700_000_000_000)
    after = clock.tick()
    assert after > before
    assert Timestamp.decode(after).wall_ms == Timestamp.decode(before).wall_ms
    assert SyncState.objects.get(pk=1).hlc == after


def test_observing_a_remote_timestamp_advances_the_clock_past_it(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_wall(monkeypatch, 1_700_000_000_000)
    clock.tick()
    remote = Timestamp(1_700_000_090_000, 7, "node-b").encode()
    clock.observe(remote)
    assert SyncState.objects.get(pk=1).hlc > remote
    assert clock.tick() > remote


def test_observing_an_older_timestamp_never_moves_the_clock_back(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_wall(monkeypatch, 1_700_000_000_000)
    now = clock.tick()
    clock.observe(Timestamp(1_600_000_000_000, 0, "node-b").encode())
    assert SyncState.objects.get(pk=1).hlc > now


def test_observing_nothing_changes_nothing(db: None) -> None:
    clock.observe("")
    assert not SyncState.objects.exists()
