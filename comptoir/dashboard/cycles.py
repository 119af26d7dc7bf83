"""The last sync cycles of this till, read back from the log file the worker writes.

The worker logs every cycle (``comptoir.sync``) to ``COMPTOIR_HOME/logs/comptoir.log``
and nothing else records them, so the sync page reads the end of that file rather than
adding a table the worker would have to fill. :func:`parse_cycles` is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ (?P<level>[A-Z]+) "
    r"(?P<logger>comptoir\.(?:sync|dashboard)[\w.]*): (?P<message>.*)$"
)
TAIL_BYTES = 64 * 1024
CYCLES = 20


@dataclass(frozen=True)
class Cycle:
    at: str  # local time as logged, "2026-03-02 10:00:00"
    level: str  # INFO, WARNING, ERROR
    message: str

    @property
    def failed(self) -> bool:
        return self.level in ("WARNING", "ERROR", "CRITICAL")


def parse_cycles(lines: list[str], limit: int = CYCLES) -> list[Cycle]:
    """The sync lines among ``lines``, latest first. Tracebacks and other loggers are skipped."""
    found = []
    for line in reversed(lines):
        match = LINE.match(line.rstrip("\r\n"))
        if match:
            found.append(Cycle(match["at"], match["level"], match["message"]))
            if len(found) >= limit:
                break
    return found


def log_path() -> Path | None:
    home = settings.COMPTOIR_HOME
    return Path(home) / "logs" / "comptoir.log" if home else None


def recent_cycles(path: Path | None = None, limit: int = CYCLES) -> list[Cycle]:
    """The last sync lines of the log file (its last 64 KB), latest first; none without it."""
    path = path or log_path()
    if path is None:
        return []
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - TAIL_BYTES))
            data = f.read()
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    if size > TAIL_BYTES and lines:
        lines = lines[1:]  # the first one is cut
    return parse_cycles(lines, limit)
