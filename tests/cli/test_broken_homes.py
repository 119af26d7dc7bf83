"""Every CLI command against broken homes and hostile arguments: exit code 2, one French
sentence on stderr, never a traceback, nothing written.

The commands come from the CLI's own table (``comptoir.cli.commands.command_table``): a new command
is covered by existing. Each case runs the real entry point in child processes (in
parallel); a command's ``--help`` is its cheapest path, and still meets the broken home.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from comptoir.cli.commands import ENTRY_COMMANDS, command_table
from tests.cli.test_entry_point import REPO, _env

PASSWORD = "xxxxxxxx"


def comptoir(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    # ``surrogateescape`` both ways: an argument may carry bytes that are not UTF-8.
    return subprocess.run(
        [sys.executable, "-m", "comptoir", *args],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=timeout,
        check=False,
    )


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``folder``: size, modification time and SHA-256."""
    return {
        str(path.relative_to(folder)): (
            path.stat().st_size,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def assert_refused(
    result: subprocess.CompletedProcess[str], what: str, lines_expected: int = 1
) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, f"{what}:\n{output}"
    assert result.returncode == 2, f"{what}: exit {result.returncode}\n{output}"
    assert result.stdout == "", f"{what}: {result.stdout}"
    lines = result.stderr.splitlines()
    assert len(lines) == lines_expected, f"{what}: {result.stderr}"
    assert lines[0].startswith("Erreur : "), f"{what}: {result.stderr}"
    assert lines[0].endswith("."), f"{what}: {result.stderr}"
    assert "\x1b" not in result.stderr, f"{what}: {result.stderr!r}"


def run_all(
    folder: Path, runs: Sequence[tuple[str, Sequence[str]]]
) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    """Run ``(label, argv)`` pairs in parallel; assert that ``folder`` is left unchanged."""
    before = snapshot(folder)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = list(pool.map(lambda run: (run[0], comptoir(*run[1])), runs))
    assert snapshot(folder) == before
    return results


# ---- homes -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def node_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working till, in a folder called ``hub`` so that ``demo`` finds it too."""
    home = tmp_path_factory.mktemp("node") / "hub"
    init = comptoir("node", "init", "--home", str(home), "--admin-password", PASSWORD)
    assert init.returncode == 0, init.stderr
    return home


def _config(key: str, value: str) -> Callable[[Path], None]:
    def edit(home: Path) -> None:
        path = home / "comptoir.toml"
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not line.startswith(f"{key} =")]
        path.write_text("\n".join([*kept, f"{key} = {value}", ""]), encoding="utf-8")

    return edit


def _garbage(home: Path) -> None:
    (home / "node.sqlite3").write_bytes(b"ceci n'est pas une base SQLite" * 1000)


def _truncated(home: Path) -> None:
    path = home / "node.sqlite3"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _database_files(home: Path) -> list[Path]:
    return sorted(home.glob("node.sqlite3*"))


def _missing(home: Path) -> None:
    for path in _database_files(home):
        path.unlink()


def _empty(home: Path) -> None:
    _missing(home)
    (home / "node.sqlite3").write_bytes(b"")


def _foreign(home: Path) -> None:
    """A sound SQLite database, but another program's."""
    _missing(home)
    with closing(sqlite3.connect(home / "node.sqlite3")) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
        db.commit()


def _postgres(url: str) -> Callable[[Path], None]:
    def edit(home: Path) -> None:
        _config("role", '"hub"')(home)
        _config("database_url", f'"{url}"')(home)

    return edit


CONFIG_CASES = {
    "unknown role": _config("role", '"banana"'),
    "unknown time zone": _config("time_zone", '"Mars/Olympus"'),
    "unknown language": _config("language", '"xx"'),
    "boolean as text": _config("insecure_http", '"yes"'),
    "number as text": _config("till_name", "3"),
}
DATABASE_CASES = {
    "garbage node.sqlite3": _garbage,
    "truncated node.sqlite3": _truncated,
    # SQLite would create an empty database in place of a missing one (nothing may be created).
    "missing node.sqlite3": _missing,
    "zero-byte node.sqlite3": _empty,
    "another program's node.sqlite3": _foreign,
    # Nothing listens on port 1: PostgreSQL is down.
    "PostgreSQL down": _postgres("postgresql://comptoir@127.0.0.1:1/comptoir"),
    # A socket folder that does not exist: PostgreSQL cannot be reached at all.
    "PostgreSQL unreachable": _postgres("postgresql://comptoir@/comptoir?host=/nonexistent"),
}


def broken_home(node_home: Path, tmp_path: Path, damage: Callable[[Path], None]) -> Path:
    home = tmp_path / "hub"
    shutil.copytree(node_home, home)
    damage(home)
    return home


def _argv(command: tuple[str, ...], home: Path) -> list[str]:
    """A command's cheapest run against ``home``: ``--help``; what the entry point runs
    itself before any home check (``init``, ``demo``) runs for real instead."""
    if command == ("demo",):
        return ["demo", "--home", str(home.parent), "--no-serve", "--days", "0"]
    if command == ("restore",):  # a home that holds a comptoir is never replaced silently
        return ["restore", str(home / "sauvegarde.zip"), "--home", str(home)]
    if command in ENTRY_COMMANDS:
        return [*command, "--home", str(home), "--admin-password", PASSWORD]
    return [*command, "--help", "--home", str(home)]


def test_the_command_table_lists_every_command() -> None:
    table = command_table()
    for typed in (("hub", "init"), ("sell",), ("credit-note",), ("stock",), ("status",)):
        assert typed in table
    assert ("migrate",) not in table


@pytest.mark.slow
@pytest.mark.parametrize("case", CONFIG_CASES)
def test_every_command_refuses_a_broken_configuration(
    case: str, node_home: Path, tmp_path: Path
) -> None:
    home = broken_home(node_home, tmp_path, CONFIG_CASES[case])
    # ``restore`` never reads it, but refuses to replace a home that holds one.
    runs = [(" ".join(c), _argv(c, home)) for c in command_table()]
    for label, result in run_all(tmp_path, runs):
        assert_refused(result, f"{case}: {label}")
        assert "comptoir.toml" in result.stderr, f"{case}: {label}: {result.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("case", DATABASE_CASES)
def test_every_command_refuses_a_database_it_cannot_use(
    case: str, node_home: Path, tmp_path: Path
) -> None:
    home = broken_home(node_home, tmp_path, DATABASE_CASES[case])
    # ``demo`` never reads its folder's database itself: its servers are ``serve``.
    table = [c for c in command_table() if c != ("demo",)]
    runs = [(" ".join(c), _argv(c, home)) for c in table]
    # The examples found by hand, run for real rather than as --help.
    runs += [(f"{c} (run)", [c, "--home", str(home)]) for c in ("status", "verify")]
    runs.append(("article list (run)", ["article", "list", "--home", str(home)]))
    for label, result in run_all(tmp_path, runs):
        assert_refused(result, f"{case}: {label}")


@pytest.mark.slow
def test_every_command_refuses_an_argument_that_is_not_utf8(node_home: Path) -> None:
    undecodable = os.fsdecode(b"Caf\xe9")
    runs = [
        (" ".join(c), [*c, "--home", str(node_home), "--name", undecodable])
        for c in command_table()
    ]
    for label, result in run_all(node_home.parent, runs):
        assert_refused(result, label)
        assert "Caf\\xe9" in result.stderr


@pytest.fixture(scope="module")
def hub_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("hub") / "hub"
    init = comptoir("hub", "init", "--home", str(home), "--admin-password", PASSWORD)
    assert init.returncode == 0, init.stderr
    return home


# Clears the screen, then paints in red (no ";": the CSV case holds it in one cell).
ESC = "\x1b[2J\x1b[31m"


@pytest.mark.slow
def test_control_characters_are_refused_in_every_text_typed(
    node_home: Path, hub_home: Path, tmp_path: Path
) -> None:
    node, hub = str(node_home), str(hub_home)
    ok = comptoir(
        "article", "add", "--home", node, "--code", "OK", "--name", "Pomme", "--price", "1"
    )
    assert ok.returncode == 0, ok.stderr
    csv = tmp_path / "articles.csv"
    csv.write_text(f"code;name;price\nA9;Poire{ESC};2,50\n", encoding="utf-8")
    runs = [
        (
            "article name",
            ["article", "add", "--code", "A1", "--name", f"Café{ESC}", "--price", "1"],
        ),
        ("article code", ["article", "add", "--code", "A\x1b2", "--name", "Thé", "--price", "1"]),
        ("article name, tab", ["article", "set", "OK", "--name", "Pomme\tverte"]),
        (
            "barcode",
            [
                "article",
                "add",
                "--code",
                "A3",
                "--name",
                "Riz",
                "--price",
                "1",
                "--barcode",
                "123\x9b45",
            ],
        ),
        ("customer name", ["customer", "add", "--name", f"Martin{ESC}"]),
        ("customer address", ["customer", "add", "--name", "Martin", "--address", f"1 rue{ESC}"]),
        ("supplier name", ["supplier", "add", "--code", "S1", "--name", "Malongo\u202e"]),
        ("stock note", ["stock", "receive", "OK", "1", "--note", f"livré{ESC}"]),
        ("cashier", ["sell", "OK:1", "--pay", "cash", "--cashier", f"Léa{ESC}"]),
        ("CSV import", ["import", "articles", str(csv)]),
    ]
    runs = [(label, [*argv, "--home", node]) for label, argv in runs]
    runs.append(("till name", ["hub", "enroll", "--home", hub, "--name", f"Caisse{ESC}"]))
    before = snapshot(hub_home)
    for label, result in run_all(node_home, runs):
        # An import lists its refused rows under its one sentence.
        assert_refused(result, label, lines_expected=2 if label == "CSV import" else 1)
        assert "U+" in result.stderr, f"{label}: {result.stderr}"
    assert snapshot(hub_home) == before
