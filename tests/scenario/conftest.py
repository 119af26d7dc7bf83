"""Multi-process scenario tests: a real hub (``comptoir serve`` on PostgreSQL) and real tills
(SQLite homes) talking HTTP on loopback, driven through the command line. No mocks.

Fixtures:
- ``pg`` (module): a throwaway PostgreSQL cluster (``tests.pgcluster.TempPostgres``);
- ``shop`` (function): a fresh database, a hub home initialised on it and served by
  ``comptoir serve`` on a free port, plus helpers to enroll tills, run commands, and
  stop, kill or restart processes. Every process it started is killed at teardown.

These tests start their own cluster, so they are skipped in the PostgreSQL run of the
suite (``DATABASE_URL`` set): running them once is enough.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import tomllib
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comptoir.devtools import processes
from comptoir.devtools.pgcluster import PostgresNotFoundError, TempPostgres
from comptoir.devtools.processes import comptoir_argv, free_port, kill_process, stop_process

__all__ = [
    "CLI_TIMEOUT",
    "PASSWORD",
    "STORE",
    "Server",
    "Shop",
    "child_env",
    "comptoir_argv",
    "free_port",
    "kill_process",
    "stop_process",
]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PASSWORD = "scenario-1234"
STORE = "Épicerie du port"
CLI_TIMEOUT = 180.0
SERVER_START_TIMEOUT = 60.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the scenario tests when the suite runs against an external PostgreSQL."""
    if not os.environ.get("DATABASE_URL"):
        return
    skip = pytest.mark.skip(
        reason="scénarios multi-processus : lancés une seule fois, dans la passe sans DATABASE_URL"
    )
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


# -- processes (comptoir.devtools.processes, with this checkout on PYTHONPATH) -----------


def child_env(**extra: str) -> dict[str, str]:
    """The environment of every child: nothing inherited that would pick a home or database."""
    return processes.child_env(pythonpath=ROOT, **extra)


class Server(processes.Server):
    """``comptoir serve`` for one home, as a child process on a fixed port."""

    def __init__(self, home: Path, *, name: str, log_dir: Path, extra: tuple[str, ...] = ()):
        super().__init__(
            home,
            name=name,
            log_dir=log_dir,
            extra=extra,
            pythonpath=ROOT,
            start_timeout=SERVER_START_TIMEOUT,
        )

    def start(self) -> Server:
        started = time.monotonic()
        super().start()
        print(f"  [{self.name}] prêt sur {self.url} en {time.monotonic() - started:.2f} s")
        return self


def parse_json(result: subprocess.CompletedProcess[str]) -> Any:
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise AssertionError(
            f"sortie non JSON de {result.args!r} (code {result.returncode}) :\n"
            f"{result.stdout}\n{result.stderr}"
        ) from None


class Shop:
    """One hub (served) and the tills enrolled with it, in a temporary directory."""

    def __init__(self, base: Path, database_url: str) -> None:
        self.base = base
        self.database_url = database_url
        self.hub_home = base / "hub"
        self.logs = base / "logs"
        self.logs.mkdir()
        self.hub: Server = Server(self.hub_home, name="hub", log_dir=self.logs)
        self.servers: list[Server] = [self.hub]
        self.popens: list[subprocess.Popen[Any]] = []
        self.tills: dict[str, Path] = {}

    # -- commands --

    def run(
        self,
        home: Path,
        *args: str,
        check: bool = True,
        timeout: float = CLI_TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``comptoir ARGS --home HOME`` to completion; asserts exit 0 unless ``check=False``."""
        result = processes.run(
            [*args, "--home", str(home)], env=env or child_env(), timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"comptoir {' '.join(args)} (home {home.name}) : code {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def json(self, home: Path, *args: str, check: bool = True) -> Any:
        """``comptoir ARGS --json --home HOME``, its output parsed."""
        return parse_json(self.run(home, *args, "--json", check=check))

    def shell(self, home: Path, code: str) -> Any:
        """Python code in ``comptoir shell``; returns what it assigned to ``out`` (JSON).

        ``comptoir shell`` does not take ``--home``: the home is given by COMPTOIR_HOME.
        """
        done, out, result = processes.shell(home, code, pythonpath=ROOT, timeout=CLI_TIMEOUT)
        if done:
            return out
        raise AssertionError(
            f"comptoir shell (home {home.name}) : code {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )

    def popen(self, home: Path, *args: str) -> subprocess.Popen[str]:
        """``comptoir ARGS --home HOME`` in the background (killed at teardown)."""
        proc = processes.spawn([*args, "--home", str(home)], env=child_env())
        self.popens.append(proc)
        return proc

    # -- set-up --

    def init_hub(self) -> None:
        result = processes.run(
            [
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
            ],
            env=child_env(),
            timeout=CLI_TIMEOUT,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def enroll(self, name: str, *, store: str | None = None) -> str:
        """A one-time enrollment code (the last line of ``hub enroll``), for a till of
        ``store`` (default: the hub's)."""
        where = ("--store", store) if store else ()
        out = self.run(self.hub_home, "hub", "enroll", "--name", name, *where).stdout
        return out.strip().splitlines()[-1].strip()

    def add_till(
        self,
        name: str,
        key: str | None = None,
        *,
        server: str | None = None,
        store: str | None = None,
    ) -> Path:
        """Enroll a till with the running hub (``node init --server --code``): its home.

        ``server``: the URL the till knows the hub by (default the hub's own), e.g. a proxy;
        ``store``: its store, which must exist on the hub (default: the hub's).
        """
        home = self.base / (key or f"till{len(self.tills) + 1}")
        code = self.enroll(name, store=store)
        result = processes.run(
            [
                "node",
                "init",
                "--home",
                str(home),
                "--server",
                server or self.hub.url,
                "--code",
                code,
                "--admin-password",
                PASSWORD,
            ],
            env=child_env(),
            timeout=CLI_TIMEOUT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        self.tills[name] = home
        return home

    def serve(self, home: Path, name: str, *extra: str) -> Server:
        server = Server(home, name=name, log_dir=self.logs, extra=extra)
        self.servers.append(server)
        return server.start()

    def cleanup(self) -> None:
        for proc in self.popens:
            if proc.poll() is None:
                kill_process(proc)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        for server in self.servers:
            if server.proc is not None:
                kill_process(server.proc)

    # -- reading state --

    def sync(self, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """``comptoir sync`` that must succeed."""
        result = self.run(home, "sync", *args)
        assert "✅ Synchronisation réussie" in result.stdout, result.stdout + result.stderr
        return result

    def verify(self, home: Path) -> subprocess.CompletedProcess[str]:
        """``comptoir verify``: this till and the hub hold identical data (exit 0)."""
        started = time.monotonic()
        result = self.run(home, "verify")
        print(f"  verify {home.name} : identique ({time.monotonic() - started:.1f} s)")
        return result

    def invoice_numbers(self, home: Path) -> Counter[str]:
        return Counter(row["number"] for row in self.json(home, "invoice", "list"))

    def stock(self, home: Path, code: str) -> str:
        """The stock level of ``code`` in the store, as the CLI prints it."""
        levels = self.json(home, "stock", "show", code)["levels"]
        assert len(levels) == 1, levels
        return str(levels[0]["quantity"])

    def article(self, home: Path, code: str) -> dict[str, Any]:
        rows = [a for a in self.json(home, "article", "list") if a["code"] == code]
        assert len(rows) == 1, rows
        return dict(rows[0])

    def token(self, home: Path) -> str:
        config = tomllib.loads((home / "comptoir.toml").read_text())
        return str(config["token"])

    def homes(self) -> list[Path]:
        return [self.hub_home, *self.tills.values()]

    def bulk_articles(self, home: Path, count: int) -> None:
        """``count`` articles (with categories and barcodes) created through the models'
        ``bulk_create``, a captured write path (stamped and logged for sync like any other),
        in one ``comptoir shell``: ~100 times faster than ``comptoir import articles``,
        which validates and saves row by row. The benchmarks' catalogue, without customers."""
        from bench.scripts import CATALOGUE

        self.shell(home, CATALOGUE.format(articles=count, customers=0))


def ean13(number: int) -> str:
    """A valid EAN-13 (in-store range 20...) for ``number``: 12 digits and the check digit."""
    body = f"20{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def write_articles_csv(path: Path, count: int, *, prefix: str = "P") -> Path:
    """A CSV for ``comptoir import articles`` with ``count`` varied articles."""
    with path.open("w", encoding="utf-8") as f:
        f.write("code,name,price,vat,cost,barcode,category,supplier,unit\n")
        for i in range(count):
            f.write(
                f"{prefix}{i:06d},Produit n°{i} « spécial »,{1 + i % 40}.{i % 100:02d},"
                f"{('20', '5.5', '10')[i % 3]},0.{10 + i % 90},{ean13(i)},"
                f"Rayon {i % 7},,{('piece', 'kg')[i % 2]}\n"
            )
    return path


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg() -> Iterator[TempPostgres]:
    started = time.monotonic()
    cluster = TempPostgres()
    try:
        cluster.start()
    except PostgresNotFoundError as exc:
        pytest.skip(str(exc))
    print(f"\n  [postgres] prêt en {time.monotonic() - started:.2f} s")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def shop(pg: TempPostgres, tmp_path: Path) -> Iterator[Shop]:
    """A fresh database, a hub home on it, served; tills added by the test."""
    started = time.monotonic()
    url = pg.create_database(f"scenario_{uuid.uuid4().hex[:12]}")
    world = Shop(tmp_path, url)
    try:
        world.init_hub()
        world.hub.start()
        print(f"  [shop] hub initialisé et servi en {time.monotonic() - started:.2f} s")
        yield world
    finally:
        world.cleanup()


@pytest.fixture(autouse=True)
def _timing(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.monotonic()
    yield
    print(f"\n  ⏱ {request.node.name} : {time.monotonic() - started:.1f} s")
