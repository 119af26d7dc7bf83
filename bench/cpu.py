"""CPU time from ``/proc``: a process with its descendants.

Throughput on a small machine is CPU shared by everyone taking part (the till, the hub,
PostgreSQL), so the catch-up benchmarks say where the CPU went, not only how long it
took: what a faster run could save, and what no Python change can.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def tree_pids(root: int) -> list[int]:
    """``root`` and its live descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            parents[int(entry)] = int(_stat(int(entry))[1])
        except OSError:  # gone meanwhile
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return found


def tree_seconds(root: int) -> float:
    """CPU time of ``root`` and its live descendants, with the time of the children each
    of them has reaped (so a PostgreSQL backend that ends between two readings still
    counts, in its postmaster's share)."""
    total = 0
    for pid in tree_pids(root):
        try:
            total += sum(int(x) for x in _stat(pid)[11:15])  # utime stime cutime cstime
        except OSError:  # gone meanwhile
            continue
    return total / TICK


def cores() -> int:
    return len(os.sched_getaffinity(0))


def postmaster(datadir: Path) -> int:
    """The pid of the PostgreSQL server running on ``datadir``."""
    return int((datadir / "postmaster.pid").read_text().split("\n", 1)[0])


@dataclass(frozen=True)
class Reading:
    hub: float
    postgres: float


def read(hub_pids: int | list[int], postgres_pid: int) -> Reading:
    """CPU so far of the hub (one server process tree, or several: hub groups) and of
    PostgreSQL."""
    pids = [hub_pids] if isinstance(hub_pids, int) else hub_pids
    return Reading(sum(tree_seconds(pid) for pid in pids), tree_seconds(postgres_pid))


def spent(before: Reading, after: Reading) -> Reading:
    return Reading(after.hub - before.hub, after.postgres - before.postgres)
