"""The persisted hybrid logical clock of this post (one row of ``SyncState``)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from comptoir.sync import capture
from comptoir.sync.hlc import Clock, Timestamp
from comptoir.sync.models import SyncState


def wall_ms() -> int:
    return int(time.time() * 1000)


def state_locked() -> SyncState:
    """The sync state row, locked until the end of the caller's transaction.

    On the hub the change-log lock is taken first: a push takes it before it locks this
    row (to observe the clocks it received), so a local write that locked this row first
    (a back-office edit stamping its fields) and then waited for the change-log lock to
    append would deadlock with it. One order everywhere: change log, then clock.
    """
    if capture.is_hub():
        capture.lock_log()
    state = SyncState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        SyncState.objects.bulk_create([SyncState(pk=1)], ignore_conflicts=True)
        state = SyncState.objects.select_for_update().get(pk=1)
    return state


def _clock(state: SyncState) -> Clock:
    last = Timestamp.decode(state.hlc) if state.hlc else None
    node = str(settings.COMPTOIR_NODE_ID)
    return Clock(node, last) if last else Clock(node)


def _wall(state: SyncState) -> int:
    # A node follows the hub's time as last measured (0 until its first contact), so that
    # a till whose clock runs ahead does not stamp its edits in the future.
    return wall_ms() + (state.clock_offset_ms if settings.COMPTOIR_ROLE == "node" else 0)


def tick() -> str:
    """A new timestamp for a local write; persisted so it never goes backwards.

    No savepoint of its own: it fails with the caller's transaction (a write stamps as
    part of it), and a savepoint would cost two more round trips per write."""
    with transaction.atomic(savepoint=False):
        state = state_locked()
        stamp = _clock(state).tick(_wall(state)).encode()
        state.hlc = stamp
        state.save(update_fields=["hlc"])
        return stamp


def observe(remote: str) -> None:
    """Advance past a timestamp received from another post."""
    if not remote:
        return
    with transaction.atomic():
        state = state_locked()
        clock = _clock(state)
        stamp = clock.observe(Timestamp.decode(remote), _wall(state)).encode()
        state.hlc = stamp
        state.save(update_fields=["hlc"])


def rewind_if_ahead(state: SyncState, hub_time_ms: int, tolerance_ms: int) -> bool:
    """The one exception to "never backwards": a clock that ran ahead of the hub.

    Its timestamps would be refused by the hub forever; it restarts from the hub's time.
    The caller holds ``state`` locked and re-stamps what it had stamped in the future.
    """
    if not state.hlc or Timestamp.decode(state.hlc).wall_ms <= hub_time_ms + tolerance_ms:
        return False
    state.hlc = Timestamp(hub_time_ms, 0, str(settings.COMPTOIR_NODE_ID)).encode()
    return True
