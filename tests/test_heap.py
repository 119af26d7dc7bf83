"""``core.heap.settle``: loaded objects leave the collector's walks, once per process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from django.test import override_settings

from comptoir.lib import heap
from comptoir.syncengine import engine
from comptoir.syncengine.protocol import Change, Page, PushReply, Result, Snapshot


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_settling_freezes_what_is_loaded_once_and_collection_goes_on() -> None:
    """In a process of its own: freezing is for the whole process."""
    out = _run(
        """
        import gc
        from comptoir.lib import heap
        assert not heap.settled() and gc.get_freeze_count() == 0
        heap.settle()
        frozen = gc.get_freeze_count()
        assert frozen > 1000, frozen
        heap.settle()
        assert gc.get_freeze_count() == frozen  # once
        class Cycle:
            pass
        a, b = Cycle(), Cycle()
        a.other, b.other = b, a
        del a, b
        print(gc.collect() >= 2)
        """
    )
    assert out == "True"


class QuietHub:
    """A hub with nothing to send and every push applied (the engine's only partner)."""

    last_hub_time = None

    def pull(self, cursor: int, **_options: Any) -> Page:
        return Page(changes=[], cursor=cursor, more=False)

    def snapshot(self, *, after: str = "") -> Snapshot:  # (a new post starts from one)
        return Snapshot(changes=[], head=0, more=False)

    def push(self, changes: list[Change], *, pending: int | None = None) -> PushReply:
        return PushReply(results=[Result(c.id, "applied") for c in changes])


@pytest.mark.django_db
@override_settings(COMPTOIR_ROLE="node")
def test_a_sync_step_settles_the_process_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever started it (``comptoir sync``, the worker, a bootstrap, the benchmark)."""
    calls: list[str] = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append("settle"))
    engine.pull(QuietHub())  # type: ignore[arg-type]
    engine.push(QuietHub())  # type: ignore[arg-type]
    assert calls == ["settle", "settle"]
