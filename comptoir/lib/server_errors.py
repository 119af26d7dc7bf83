"""Server errors (HTTP 5xx): how many there were, read back from the file they are logged to.

Every unhandled error of a request is logged with its traceback on ``django.request`` (or
``uvicorn.error``); the settings send those records to ``logs/server-errors.log`` besides
the console and ``logs/comptoir.log``. Every server process of the home appends to that
file, so the sync page and ``comptoir status`` (other processes) count them all, across
restarts, without a table to fill from inside a request that just failed.
:func:`parse_errors` is pure.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

#: The first line of a record; the traceback's lines follow it.
HEADER = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ (?:ERROR|CRITICAL) [\w.]+: (?P<message>.*)$"
)
WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ServerErrors:
    last_24h: int
    last_at: str  # local time as logged, "2026-03-02 10:00:00"; "" when none
    last_message: str  # "Internal Server Error: /caisse/avoir/"


def parse_errors(lines: list[str], *, now: float) -> ServerErrors:
    """The records among ``lines`` (oldest first) logged less than 24 h before ``now``
    (seconds since the epoch; the log's times are this machine's local time)."""
    count, last_at, last_message = 0, "", ""
    for line in lines:
        match = HEADER.match(line.rstrip("\r\n"))
        if not match:
            continue
        try:
            at = time.mktime(time.strptime(match["at"], "%Y-%m-%d %H:%M:%S"))
        except ValueError:
            continue
        if now - at <= WINDOW_SECONDS:
            count += 1
        last_at, last_message = match["at"], match["message"]
    return ServerErrors(count, last_at, last_message)


def log_path() -> Path | None:
    """The file the settings log server errors to; None without a home (or a writable one)."""
    handlers = settings.LOGGING.get("handlers")
    handler = handlers.get("server_errors") if isinstance(handlers, dict) else None
    return Path(handler["filename"]) if handler else None


def server_errors(path: Path | None = None, *, now: float | None = None) -> ServerErrors:
    """Server errors of the last 24 h, and the latest one; none without the file."""
    path = path or log_path()
    lines: list[str] = []
    if path is not None:
        for part in (path.with_name(path.name + ".1"), path):  # the rotated one is older
            try:
                lines += part.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
    return parse_errors(lines, now=time.time() if now is None else now)
