"""Hybrid logical clock (Kulkarni et al., 2014). Pure: no Django, no I/O.

A timestamp is (wall time in ms, logical counter, node id). It follows physical time
when clocks behave, never goes backwards, and orders causally related events even when
clocks drift: a node that receives a change advances its clock past it. Ties between
nodes are broken by node id, so every side orders any two timestamps the same way.

Its text form (:meth:`Timestamp.encode`) sorts like the timestamp itself, so it can be
stored in a column and compared as a string. The caller persists the clock's last
timestamp (so it never goes backwards across restarts) and decides what to do with a
remote timestamp too far ahead of its own wall time (:class:`ClockSkewError`).
"""

from __future__ import annotations

from dataclasses import dataclass

WALL_DIGITS = 15  # milliseconds since the epoch, enough until the year 33658
COUNTER_DIGITS = 6
MAX_COUNTER = 10**COUNTER_DIGITS - 1


class ClockSkewError(Exception):
    """A remote timestamp is further ahead of our wall clock than the tolerance."""

    def __init__(self, ahead_ms: int) -> None:
        super().__init__(f"remote clock is {ahead_ms} ms ahead")
        self.ahead_ms = ahead_ms


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.node}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        wall, counter, node = text.split("-", 2)
        if len(wall) != WALL_DIGITS or len(counter) != COUNTER_DIGITS or not node:
            raise ValueError(f"not an HLC timestamp: {text!r}")
        return cls(int(wall), int(counter), node)


ZERO = Timestamp(0, 0, "")


class Clock:
    """One node's clock. Not thread-safe: the engine serialises access (one writer)."""

    def __init__(self, node: str, last: Timestamp = ZERO) -> None:
        self.node = node
        self.last = Timestamp(last.wall_ms, last.counter, node)

    def _advance(self, wall: int, counter: int) -> Timestamp:
        if counter > MAX_COUNTER:  # more than a million events in one ms: borrow the next ms
            wall, counter = wall + 1, 0
        self.last = Timestamp(wall, counter, self.node)
        return self.last

    def tick(self, now_ms: int) -> Timestamp:
        """A timestamp for a local event (a write)."""
        if now_ms > self.last.wall_ms:
            return self._advance(now_ms, 0)
        return self._advance(self.last.wall_ms, self.last.counter + 1)

    def observe(
        self, remote: Timestamp, now_ms: int, *, max_ahead_ms: int | None = None
    ) -> Timestamp:
        """Advance past a received timestamp; refuse one too far in our future."""
        if max_ahead_ms is not None and remote.wall_ms - now_ms > max_ahead_ms:
            raise ClockSkewError(remote.wall_ms - now_ms)
        wall = max(self.last.wall_ms, remote.wall_ms, now_ms)
        if wall == self.last.wall_ms == remote.wall_ms:
            counter = max(self.last.counter, remote.counter) + 1
        elif wall == self.last.wall_ms:
            counter = self.last.counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        return self._advance(wall, counter)
