"""Processes for the benchmarks: a throwaway PostgreSQL (durable settings), a served hub,
tills enrolled with ``comptoir node init --server``, and helpers to run the CLI and
Python code in ``comptoir shell`` on a home. Every process started here is stopped by
:meth:`World.close` (by its own process group, never by name).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from tests.pgcluster import TempPostgres

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-passw0rd-1234"
STORE = "Banc d'essai"
CLI_TIMEOUT = 900.0
START_TIMEOUT = 60.0
MARKER = "@@BENCH@@"


class BenchError(RuntimeError):
    """A benchmark could not run (a process failed); the message says which and why."""


def child_env(**extra: str) -> dict[str, str]:
    """Nothing inherited that would pick another home or database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPTOIR_HOME")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def comptoir_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "comptoir", *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any], *, timeout: float = 10.0) -> None:
    """SIGTERM to the process group (each child has a session of its own), then SIGKILL."""

    def signal_group(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    if proc.poll() is None:
        signal_group(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_group(signal.SIGKILL)
            proc.wait(timeout=timeout)
    else:
        signal_group(signal.SIGKILL)


class Server:
    """``comptoir serve`` for one home, on a free port, logging to a file."""

    def __init__(self, home: Path, name: str, log_dir: Path, *extra: str) -> None:
        self.home = home
        self.name = name
        self.extra = extra  # more ``serve`` options
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                comptoir_argv(
                    "serve",
                    "--home",
                    str(self.home),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    *self.extra,
                ),
                env=child_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} stopped at start-up:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(f"{self.url}/admin/login/", timeout=2).close()
                return self
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise BenchError(f"{self.name} does not answer:\n{self.log_tail()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


class World:
    """PostgreSQL, a served hub and its tills, in a temporary directory."""

    def __init__(self, *, keep: bool = False, hub_workers: int = 1) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
        self.keep = keep
        self.logs = self.base / "logs"
        self.logs.mkdir()
        self.hub_home = self.base / "hub"
        self.pg = TempPostgres(fast=False)
        self.database_url = ""
        self.hub = Server(self.hub_home, "hub", self.logs, "--workers", str(hub_workers))
        self.servers: list[Server] = [self.hub]
        self.popens: list[subprocess.Popen[Any]] = []
        self.tills: dict[str, Path] = {}

    # -- life cycle --

    def start(self) -> World:
        self.pg.start()
        self.database_url = self.pg.create_database("bench")
        self.run_raw(
            "hub",
            "init",
            "--home",
            str(self.hub_home),
            "--database-url",
            self.database_url,
            "--store",
            STORE,
            "--admin-password",
            PASSWORD,
        )
        self.hub.start()
        return self

    def close(self) -> None:
        for proc in self.popens:
            stop_process(proc, timeout=5)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        for server in self.servers:
            server.stop()
        self.pg.stop()
        if not self.keep:
            import shutil

            shutil.rmtree(self.base, ignore_errors=True)

    # -- commands --

    def run_raw(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT
    ) -> str:
        result = subprocess.run(
            comptoir_argv(*args),
            env=env or child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=max(timeout, CLI_TIMEOUT),
            check=False,
        )
        if result.returncode != 0:
            raise BenchError(
                f"comptoir {' '.join(args)}: exit {result.returncode}\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
            )
        return result.stdout

    def run(self, home: Path, *args: str) -> str:
        return self.run_raw(*args, "--home", str(home))

    def shell(self, home: Path, code: str, *, timeout: float = CLI_TIMEOUT) -> Any:
        """Run ``code`` in ``comptoir shell`` on ``home``; returns what it put in ``out``."""
        program = f"import json\nout = None\n{code}\nprint({MARKER!r} + json.dumps(out))\n"
        stdout = self.run_raw(
            "shell",
            "--no-startup",
            "-c",
            program,
            env=child_env(COMPTOIR_HOME=str(home)),
            timeout=timeout,
        )
        for line in stdout.splitlines():
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER) :])
        raise BenchError(f"comptoir shell on {home.name}: no result\n{stdout[-2000:]}")

    def shell_popen(self, home: Path, code: str) -> subprocess.Popen[str]:
        """``comptoir shell -c code`` in the background, stdout piped (stopped at close)."""
        err: IO[bytes] = (self.logs / f"shell-{home.name}.log").open("ab")
        proc = subprocess.Popen(
            comptoir_argv("shell", "--no-startup", "-c", code),
            env=child_env(COMPTOIR_HOME=str(home)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
        )
        err.close()
        self.popens.append(proc)
        return proc

    def add_till(self, key: str) -> Path:
        """Enroll a till with the running hub; returns its home."""
        home = self.base / key
        code = self.run(self.hub_home, "hub", "enroll", "--name", key).strip().splitlines()[-1]
        self.run_raw(
            "node",
            "init",
            "--home",
            str(home),
            "--server",
            self.hub.url,
            "--code",
            code.strip(),
            "--admin-password",
            PASSWORD,
        )
        self.tills[key] = home
        return home

    def serve(self, home: Path, name: str) -> Server:
        server = Server(home, name, self.logs)
        self.servers.append(server)
        return server.start()
