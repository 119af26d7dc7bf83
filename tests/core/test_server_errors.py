"""Counting server errors from the file they are logged to."""

from __future__ import annotations

import time
from pathlib import Path

from comptoir.lib.server_errors import parse_errors, server_errors


def _at(seconds_ago: float, now: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now - seconds_ago))


def _record(when: str, path: str) -> list[str]:
    return [
        f"{when},123 ERROR django.request: Internal Server Error: {path}",
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "2026-01-01 00:00:00,000 ERROR looks like a header but is not one",
        "django.db.utils.DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
    ]


def test_only_the_last_24_hours_count_and_the_latest_is_named() -> None:
    now = time.time()
    lines = [
        *_record(_at(25 * 3600, now), "/old/"),
        *_record(_at(3600, now), "/gestion/articles/"),
        f"{_at(60, now)},1 WARNING uvicorn.error: Invalid HTTP request received.",
        *_record(_at(30, now), "/caisse/avoir/"),
    ]
    errors = parse_errors(lines, now=now)
    assert errors.last_24h == 2
    assert errors.last_at == _at(30, now)
    assert errors.last_message == "Internal Server Error: /caisse/avoir/"


def test_the_rotated_file_counts_too_and_no_file_is_no_error(tmp_path: Path) -> None:
    now = time.time()
    log = tmp_path / "server-errors.log"
    assert server_errors(log, now=now).last_24h == 0
    (tmp_path / "server-errors.log.1").write_text("\n".join(_record(_at(90, now), "/a/")))
    log.write_text("\n".join(_record(_at(10, now), "/b/")))
    errors = server_errors(log, now=now)
    assert (errors.last_24h, errors.last_message) == (2, "Internal Server Error: /b/")
