"""A till runs on Windows: no POSIX-only call in code a till runs, unless guarded for its platform.

The walker reads every module under comptoir/ and fails on a POSIX-only call, import, signal
or path that is not inside a branch testing the platform (`sys.platform`, `os.name`,
`hasattr(os, ...)`, `hasattr(signal, ...)`). Also: the home's log is safe with several
processes, and secrets are restricted to their owner on both systems.
"""

from __future__ import annotations

import ast
import multiprocessing
import stat
import sys
from pathlib import Path

import pytest

import comptoir
from comptoir.lib.private import icacls_command, restrict_to_owner

ROOT = Path(comptoir.__file__).parent

POSIX_CALLS = {
    ("os", name)
    for name in (
        "fork",
        "forkpty",
        "killpg",
        "getpgid",
        "setsid",
        "setpgrp",
        "chown",
        "lchown",
        "fchown",
        "getuid",
        "geteuid",
        "getgid",
        "chmod",
        "fchmod",
        "mkfifo",
        "sync",
    )
} | {
    ("signal", name)
    for name in (
        "SIGKILL",
        "SIGINT",
        "SIGHUP",
        "SIGUSR1",
        "SIGUSR2",
        "SIGQUIT",
        "SIGALRM",
        "alarm",
        "SIGCHLD",
        "SIGPIPE",
        "pthread_kill",
    )
}
POSIX_MODULES = {"fcntl", "pwd", "grp", "resource", "termios", "posix", "pty", "tty"}
# Runs Debian's PostgreSQL binaries for the tests and benchmarks (as root: chown, pwd); never
# on a till, and never imported by code a till runs.
NOT_ON_A_TILL = {"devtools/pgcluster.py"}
PLATFORM_TESTS = ("sys.platform", "os.name", "hasattr(os", "hasattr(signal", "platform.system")


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        parent = parents[node]
        if isinstance(parent, (ast.If, ast.IfExp, ast.While)) and any(
            marker in ast.unparse(parent.test) for marker in PLATFORM_TESTS
        ):
            return True
        node = parent
    return False


def posix_only_uses(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in POSIX_CALLS:
                what = f"{node.value.id}.{node.attr}"
        elif isinstance(node, ast.Import):
            what = next((a.name for a in node.names if a.name in POSIX_MODULES), None)
        elif isinstance(node, ast.ImportFrom) and node.module in POSIX_MODULES | {"os", "signal"}:
            bad = [a.name for a in node.names if (node.module, a.name) in POSIX_CALLS]
            what = node.module if node.module in POSIX_MODULES else (bad[0] if bad else None)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            what = "/proc" if node.value.startswith("/proc/") else None
        elif isinstance(node, ast.keyword) and node.arg == "preexec_fn":
            what = "preexec_fn"
        elif isinstance(node, ast.Attribute) and node.attr == "chmod":
            what = ".chmod()"
        if what and not _guarded(node, parents):
            found.append(f"{name}:{node.lineno}: {what}")
    return found


def test_no_posix_only_call_in_comptoir_outside_a_platform_guard() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name not in NOT_ON_A_TILL:
            found += posix_only_uses(path.read_text(encoding="utf-8"), name)
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "import os\nos.killpg(1, 9)",
        "import fcntl",
        "from os import fork",
        "import signal\nsend(signal.SIGKILL)",
        "open('/proc/self/status')",
        "import subprocess\nsubprocess.Popen(['x'], preexec_fn=f)",
        "from pathlib import Path\nPath('x').chmod(0o600)",
    ],
)
def test_the_walker_finds_each_kind_of_posix_only_use(source: str) -> None:
    assert posix_only_uses(source, "m.py") != []


def test_the_walker_accepts_a_guarded_use() -> None:
    source = (
        "import os, signal, sys\n"
        "if hasattr(os, 'killpg'):\n    os.killpg(1, signal.SIGKILL)\n"
        "if sys.platform != 'win32':\n    import fcntl\n"
        "x = signal.SIGINT if os.name == 'posix' else signal.SIGTERM\n"
    )
    assert posix_only_uses(source, "m.py") == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_secrets_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    secret = tmp_path / "comptoir.toml"
    secret.write_text("secret_key = 'x'")
    secret.chmod(0o644)
    restrict_to_owner(secret)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_on_windows_the_acl_is_replaced_by_one_entry_for_the_owner(tmp_path: Path) -> None:
    command = icacls_command(tmp_path / "post.key", "SHOP\\caisse")
    assert command == [
        "icacls",
        str(tmp_path / "post.key"),
        "/inheritance:r",
        "/grant:r",
        "SHOP\\caisse:(F)",
    ]


def _write_lines(path: str, writer: int, count: int) -> None:
    import logging
    import logging.config

    from comptoir.settings import _rotating_file

    logging.config.dictConfig(
        {
            "version": 1,
            "formatters": {"plain": {"format": "%(message)s"}},
            "handlers": {"file": _rotating_file(Path(path), 4_000, 200)},
            "loggers": {"writer": {"handlers": ["file"], "level": "INFO"}},
        }
    )
    logger = logging.getLogger("writer")
    for i in range(count):
        logger.info("writer %d line %d", writer, i)
    logging.shutdown()


def test_the_home_log_rolls_over_with_several_writers_and_loses_no_line(tmp_path: Path) -> None:
    """The settings' handler for the home's logs (the served till and every command write it).

    On Linux a plain RotatingFileHandler also passes this; on Windows its rollover fails with
    PermissionError (an open file cannot be renamed), which these machines cannot show. So the
    handler must be one made for several processes (it locks around each write and rollover).
    """
    from comptoir.settings import _rotating_file

    handler = _rotating_file(tmp_path / "x.log", 1, 1)["class"]
    assert handler == "concurrent_log_handler.ConcurrentRotatingFileHandler"
    log = tmp_path / "comptoir.log"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_lines, args=(str(log), w, 300)) for w in range(3)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    lines = [
        line
        for path in tmp_path.glob("comptoir.log*")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(lines) == 900
    assert len(list(tmp_path.glob("comptoir.log.*"))) > 1
