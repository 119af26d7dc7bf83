"""Processes for the benchmarks: a throwaway PostgreSQL (durable settings), a served hub,
tills enrolled with ``comptoir node init --server``, and helpers to run the CLI and
Python code in ``comptoir shell`` on a home. Every process started here is stopped by
:meth:`World.close` (by its own process group, never by name).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import IO, Any

from comptoir.devtools import processes
from comptoir.devtools.pgcluster import TempPostgres
from comptoir.devtools.processes import ProcessError, stop_process

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-passw0rd-1234"
STORE = "Banc d'essai"
CLI_TIMEOUT = 900.0
START_TIMEOUT = 60.0


class BenchError(ProcessError):
    """A benchmark could not run (a process failed); the message says which and why."""


def child_env(**extra: str) -> dict[str, str]:
    """Nothing inherited that would pick another home or database."""
    return processes.child_env(pythonpath=ROOT, **extra)


class Server(processes.Server):
    """``comptoir serve`` for one home, on a free port, logging to a file."""

    def __init__(self, home: Path, name: str, log_dir: Path, *extra: str) -> None:
        super().__init__(
            home,
            name=name,
            log_dir=log_dir,
            extra=extra,
            pythonpath=ROOT,
            start_timeout=START_TIMEOUT,
        )


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
        result = processes.run(args, env=env or child_env(), timeout=max(timeout, CLI_TIMEOUT))
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
        done, out, result = processes.shell(
            home, code, pythonpath=ROOT, timeout=max(timeout, CLI_TIMEOUT)
        )
        if result.returncode != 0:
            raise BenchError(
                f"comptoir shell: exit {result.returncode}\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
            )
        if not done:
            raise BenchError(f"comptoir shell on {home.name}: no result\n{result.stdout[-2000:]}")
        return out

    def shell_popen(self, home: Path, code: str) -> subprocess.Popen[str]:
        """``comptoir shell -c code`` in the background, stdout piped (stopped at close)."""
        err: IO[bytes] = (self.logs / f"shell-{home.name}.log").open("ab")
        proc = processes.spawn(
            ["shell", "--no-startup", "-c", code],
            env=child_env(COMPTOIR_HOME=str(home)),
            stderr=err,
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
