"""The worker's side of the live stream: when the outbox is looked at, and how a page of
the stream is applied beside other pullers."""

from __future__ import annotations

from comptoir.syncengine.worker import OutboxWatch


def test_a_new_database_stamp_is_looked_at_twice_then_no_more() -> None:
    """A commit is in the write-ahead log before it is visible: the look that sees a new
    stamp may see the old outbox, so the next turn looks again (a sale from the CLI on a
    till that writes nothing else stayed unsent for minutes)."""
    watch = OutboxWatch()
    assert watch.due((1, 10, 5, 100))  # the first look
    assert watch.due((1, 10, 5, 100))  # (once more)
    assert not watch.due((1, 10, 5, 100))
    assert watch.due((1, 10, 6, 180))  # another process committed
    assert watch.due((1, 10, 6, 180))  # its commit may have been invisible a moment ago
    assert not watch.due((1, 10, 6, 180))
    assert watch.due(None)  # no file to watch (not SQLite): always look
    assert watch.due(None)
