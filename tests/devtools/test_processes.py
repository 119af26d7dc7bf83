"""The one process harness of the tests, the benchmarks and the demo: stopping reaches a
server's own children, a process that ignores SIGTERM is killed, waiting gives up on a
process that died. Child processes here are plain Python, not ``comptoir``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from comptoir.devtools.pgcluster import _pid_alive
from comptoir.devtools.processes import (
    child_env,
    free_port,
    port_is_free,
    stop_process,
    wait_until_up,
)


def _python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_stopping_a_server_stops_the_children_it_started() -> None:
    """As uvicorn's workers: the child of the child goes too."""
    parent = _python(
        """
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        print(child.pid, flush=True)
        time.sleep(120)
        """
    )
    assert parent.stdout is not None
    grandchild = int(parent.stdout.readline())
    stop_process(parent, timeout=5)
    parent.stdout.close()
    assert parent.returncode is not None
    assert _gone(grandchild)


def test_a_process_that_ignores_sigterm_is_killed() -> None:
    stubborn = _python(
        """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("prêt", flush=True)
        time.sleep(120)
        """
    )
    assert stubborn.stdout is not None
    assert stubborn.stdout.readline().strip() == "prêt"
    stop_process(stubborn, timeout=0.5)
    stubborn.stdout.close()
    assert stubborn.returncode == -9


def test_waiting_gives_up_on_a_process_that_died() -> None:
    dead = _python("raise SystemExit(3)")
    started = time.monotonic()
    assert not wait_until_up(f"http://127.0.0.1:{free_port()}/", dead, timeout=30)
    assert time.monotonic() - started < 10
    assert dead.stdout is not None
    dead.stdout.close()


def test_a_port_taken_is_not_free() -> None:
    server = _python(
        """
        import socket, time
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        print(sock.getsockname()[1], flush=True)
        time.sleep(120)
        """
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    try:
        assert not port_is_free(port)
    finally:
        stop_process(server, timeout=5)
        server.stdout.close()
    assert port_is_free(port)


def test_children_choose_their_own_home_and_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ailleurs/x")
    monkeypatch.setenv("COMPTOIR_HOME", "/ailleurs")
    env = child_env(pythonpath="/src", COMPTOIR_HOME="/ici")
    assert "DATABASE_URL" not in env
    assert env["COMPTOIR_HOME"] == "/ici"
    assert env["PYTHONPATH"] == "/src"
    assert env["PYTHONUNBUFFERED"] == "1"
