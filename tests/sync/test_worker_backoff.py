"""The worker's backoff: exponential with jitter, and cut short when the hub answers again
(after an outage or a full disk, a sale must not wait out a minute of backoff)."""

from __future__ import annotations

import random
import threading
import time

from comptoir.syncengine.worker import SyncWorker, backoff_delay


def test_backoff_grows_with_failures_and_is_capped() -> None:
    rng = random.Random(1)
    assert all(0 <= backoff_delay(1, rng=rng) <= 1 for _ in range(50))
    assert max(backoff_delay(3, rng=rng) for _ in range(200)) > 2
    assert all(backoff_delay(40, rng=rng) <= 60 for _ in range(50))


def test_a_pause_ends_when_the_other_loop_reaches_the_hub() -> None:
    worker = SyncWorker(client_factory=lambda: None)  # type: ignore[arg-type,return-value]
    threading.Timer(0.2, worker.reachable.set).start()
    started = time.monotonic()
    worker._pause(30)
    assert time.monotonic() - started < 2


def test_a_pause_ends_on_shutdown_and_otherwise_lasts() -> None:
    worker = SyncWorker(client_factory=lambda: None)  # type: ignore[arg-type,return-value]
    started = time.monotonic()
    worker._pause(0.3)
    assert time.monotonic() - started >= 0.3
    threading.Timer(0.2, worker.stop.set).start()
    started = time.monotonic()
    worker._pause(30)
    assert time.monotonic() - started < 2
