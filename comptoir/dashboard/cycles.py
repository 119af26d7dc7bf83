"""The last sync cycles of this till, read back from the log file the worker writes.

The worker logs every cycle (``comptoir.sync``) to ``COMPTOIR_HOME/logs/comptoir.log``
and nothing else records them, so the sync page reads the end of that file rather than
adding a table the worker would have to fill. :func:`parse_cycles` is pure.

Idle cycles (« Rien à échanger ») come every few seconds: listed one by one, they would
push a sale's sending off the page within minutes. So a run of them is one line,
« N cycles sans changement depuis HH:MM », and the file is read back further (up to
:data:`MAX_TAIL_BYTES`) until :data:`CYCLES` lines are found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

from comptoir.syncengine.describe import describe_moves

LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ (?P<level>[A-Z]+) "
    r"(?P<logger>comptoir\.(?:sync|dashboard)[\w.]*): (?P<message>.*)$"
)
TAIL_BYTES = 64 * 1024
#: How far back the file is read at most to find :data:`CYCLES` lines.
MAX_TAIL_BYTES = 1024 * 1024
CYCLES = 20


@dataclass(frozen=True)
class Cycle:
    at: str  # local time as logged, "2026-03-02 10:00:00"
    level: str  # INFO, WARNING, ERROR
    message: str
    idle: int = 0  # a run of this many cycles that moved nothing, since ``since``
    since: str = ""

    @property
    def failed(self) -> bool:
        return self.level in ("WARNING", "ERROR", "CRITICAL")


@cache
def idle_messages() -> tuple[str, ...]:
    """What the worker logs for a cycle that moved nothing, in each language it may log in:
    the words of ``describe_moves`` itself, so that they are recognised as they change."""
    said = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            said.add(describe_moves(Counter(), Counter()))
    return tuple(said)


def _is_idle(message: str) -> bool:
    return message.startswith(idle_messages())


def _idle_run(latest: str, earliest: str, count: int) -> Cycle:
    since = earliest[11:16]  # HH:MM
    text = ngettext(
        "%(n)d cycle sans changement depuis %(since)s",
        "%(n)d cycles sans changement depuis %(since)s",
        count,
    ) % {"n": count, "since": since}
    return Cycle(latest, "INFO", text, idle=count, since=earliest)


def parse_cycles(lines: Iterable[str], limit: int = CYCLES) -> list[Cycle]:
    """The sync lines among ``lines``, latest first; each run of idle cycles is one line.

    Tracebacks and other loggers are skipped. ``limit`` lines at most; a run of idle
    cycles still going on when the limit is reached counts the cycles seen so far."""
    found: list[Cycle] = []
    run: list[str] = []  # the times of the idle run being read, latest first

    def close_run() -> None:
        if run:
            found.append(_idle_run(run[0], run[-1], len(run)))
            run.clear()

    for line in reversed(list(lines)):
        match = LINE.match(line.rstrip("\r\n"))
        if not match:
            continue
        if match["level"] == "INFO" and _is_idle(match["message"]):
            if not run and len(found) >= limit:
                break
            run.append(match["at"])
            continue
        close_run()
        if len(found) >= limit:
            break
        found.append(Cycle(match["at"], match["level"], match["message"]))
    close_run()
    return found[:limit]


def log_path() -> Path | None:
    home = settings.COMPTOIR_HOME
    return Path(home) / "logs" / "comptoir.log" if home else None


def recent_cycles(
    path: Path | None = None, limit: int = CYCLES, max_bytes: int = MAX_TAIL_BYTES
) -> list[Cycle]:
    """The last sync lines of the log file, latest first; none without it.

    The end of the file is read 64 KB at a time, back to ``max_bytes``, until ``limit``
    lines are found there (idle runs collapsed) or the file is read whole."""
    path = path or log_path()
    if path is None:
        return []
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            tail = min(size, TAIL_BYTES)
            while True:
                f.seek(size - tail)
                data = f.read(tail)
                lines = data.decode("utf-8", errors="replace").splitlines()
                if tail < size and lines:
                    lines = lines[1:]  # the first one is cut
                cycles = parse_cycles(lines, limit)
                if len(cycles) >= limit or tail >= size or tail >= max_bytes:
                    return cycles
                tail = min(size, max_bytes, tail * 2)
    except OSError:
        return []
