"""The demonstration's child processes: the real CLI in a clean environment, ports, start
and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence


def child_env() -> dict[str, str]:
    """The environment of the children: each home decides its own database and settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPTOIR_HOME")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def comptoir_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "comptoir", *args]


def run_step(args: list[str], *, quiet: bool = True) -> subprocess.CompletedProcess[str] | None:
    """Run a CLI step in a child process; None (after printing why) when it failed."""
    done = subprocess.run(
        comptoir_argv(*args), env=child_env(), capture_output=quiet, text=True, check=False
    )
    if done.returncode != 0:
        if quiet:
            sys.stderr.write(done.stdout + done.stderr)
        return None
    return done


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will: connections of a server just stopped linger in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll ``url`` until it answers (any HTTP status) or the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
