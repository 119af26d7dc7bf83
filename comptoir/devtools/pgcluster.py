"""Throwaway PostgreSQL clusters for tests and benchmarks.

A :class:`TempPostgres` runs ``initdb`` in a fresh temporary directory and starts a
private server with ``pg_ctl``, listening on 127.0.0.1 on a free port, with trust
authentication for the ``postgres`` superuser. Nothing is shared with a system-wide
PostgreSQL service, and everything is deleted on :meth:`TempPostgres.stop`::

    with TempPostgres() as pg:
        url = pg.create_database("comptoir")
        ...

PostgreSQL refuses to run as root: when the current process is root, the cluster
belongs to the ``postgres`` system user and the server tools run through ``runuser``.

Command line, to run any command against a throwaway cluster::

    python -m tests.pgcluster run [--keep-fast | --durable] -- CMD ARGS...

(or ``python -m comptoir.devtools.pgcluster``, where the tests are not at hand).

``CMD`` gets ``DATABASE_URL`` (database ``comptoir``) and ``COMPTOIR_TEST_PG_URL``
(database ``postgres``, for administration) in its environment; the exit code is CMD's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType

import psycopg
from psycopg import sql

from comptoir.devtools.processes import free_port

__all__ = [
    "PgBinaries",
    "PostgresError",
    "PostgresNotFoundError",
    "PostgresStartError",
    "TempPostgres",
    "find_binaries",
    "main",
]

HOST = "127.0.0.1"
SUPERUSER = "postgres"
SYSTEM_USER = "postgres"  # Unix account that owns the cluster when we run as root

NOT_FOUND_MESSAGE = (
    "PostgreSQL est introuvable : lancez scripts/ensure-postgres.sh "
    "ou installez le paquet postgresql."
)

FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}

_START_ATTEMPTS = 5  # new port on each attempt, in case another process took ours
_PORT_IN_USE = ("Address already in use", "could not bind")


class PostgresError(RuntimeError):
    """A throwaway cluster could not be created, started or stopped."""


class PostgresNotFoundError(PostgresError):
    """The PostgreSQL server binaries are not installed."""


class PostgresStartError(PostgresError):
    """``initdb`` or ``pg_ctl start`` failed; the message ends with the server log."""


@dataclass(frozen=True)
class PgBinaries:
    """The server programs of one PostgreSQL installation."""

    pg_ctl: Path
    initdb: Path

    @property
    def version(self) -> str:
        """Version number, such as ``"15.18"``."""
        out = subprocess.run(
            [str(self.pg_ctl), "--version"],
            capture_output=True,
            text=True,
            check=True,
            stdin=subprocess.DEVNULL,
        ).stdout
        match = re.search(r"\(PostgreSQL\)\s+(\S+)", out)
        return match.group(1) if match else out.strip()


def _version_key(bindir: Path) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<version>/bin``: ``9.6`` < ``15``."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def find_binaries() -> PgBinaries:
    """``pg_ctl`` and ``initdb`` from PATH, else from the newest ``/usr/lib/postgresql/*/bin``."""
    pg_ctl, initdb = shutil.which("pg_ctl"), shutil.which("initdb")
    if pg_ctl and initdb:
        return PgBinaries(pg_ctl=Path(pg_ctl), initdb=Path(initdb))
    bindirs = [
        bindir
        for bindir in Path("/usr/lib/postgresql").glob("*/bin")
        if (bindir / "pg_ctl").is_file() and (bindir / "initdb").is_file()
    ]
    if not bindirs:
        raise PostgresNotFoundError(NOT_FOUND_MESSAGE)
    newest = max(bindirs, key=_version_key)
    return PgBinaries(pg_ctl=newest / "pg_ctl", initdb=newest / "initdb")


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (zombies count as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        proc_stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    # Format: "pid (comm) state ..."; comm may contain spaces and parentheses.
    return proc_stat.rpartition(")")[2].split()[0] != "Z"


def _child_pids(pid: int) -> list[int]:
    """PIDs of the processes whose parent is ``pid`` (Linux ``/proc``; else none)."""
    children: list[int] = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat_file.parent.name))
    return children


def _traversable_by(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether ``user`` may enter ``path`` and each of its ancestors (execute bit)."""
    groups = {user.pw_gid} | set(os.getgrouplist(user.pw_name, user.pw_gid))
    for directory in (path, *path.parents):
        st = directory.stat()
        if st.st_uid == user.pw_uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


class TempPostgres:
    """A private PostgreSQL server in a temporary directory, deleted by :meth:`stop`.

    ``fast=True`` trades durability for speed (``fsync``, ``synchronous_commit`` and
    ``full_page_writes`` off): fine for tests, but use ``fast=False`` for crash tests
    with :meth:`kill` or for benchmarks that should reflect production. ``settings``
    adds or overrides server parameters (``-c name=value``).
    """

    def __init__(
        self,
        *,
        fast: bool = True,
        max_connections: int = 200,
        settings: Mapping[str, str] | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        binaries: PgBinaries | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.fast = fast
        self.max_connections = max_connections
        self.settings: dict[str, str] = dict(settings or {})
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.binaries = binaries or find_binaries()
        self.timeout = timeout
        self.host = HOST
        self.user = SUPERUSER
        self.port = 0
        self._workdir: Path | None = None
        self._runas: list[str] = []
        self._owner: pwd.struct_passwd | None = None

    # -- paths ---------------------------------------------------------------------

    @property
    def workdir(self) -> Path:
        """The temporary directory holding the cluster, its socket and its log."""
        if self._workdir is None:
            raise PostgresError("le serveur PostgreSQL temporaire n'est pas démarré")
        return self._workdir

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.workdir / "socket"

    @property
    def logfile(self) -> Path:
        return self.workdir / "postgres.log"

    @property
    def version(self) -> str:
        return self.binaries.version

    # -- life cycle ----------------------------------------------------------------

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> TempPostgres:
        """Create the cluster in a new temporary directory and start the server."""
        if self._workdir is not None:
            raise PostgresError("le serveur PostgreSQL temporaire est déjà démarré")
        self._prepare_user()
        self._workdir = Path(tempfile.mkdtemp(prefix="comptoir-pg-", dir=self._base_dir()))
        try:
            self.workdir.chmod(0o755)
            self.socket_dir.mkdir()
            if self._owner is not None:
                _chown_tree(self.workdir, self._owner.pw_uid, self._owner.pw_gid)
            self._initdb()
            self._start_on_free_port()
        except BaseException:
            # Also on KeyboardInterrupt: __exit__ does not run when __enter__ fails.
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast, else immediate, else SIGKILL) and delete everything."""
        if self._workdir is None:
            return
        try:
            stopped = not self.is_running() or self._pg_ctl_stop("fast")
            if not stopped and not self._pg_ctl_stop("immediate"):
                self.kill()
        finally:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def restart(self) -> None:
        """Clean shutdown then start again, on the same port and data directory."""
        if self.is_running() and not self._pg_ctl_stop("fast"):
            raise PostgresError(f"échec de l'arrêt de PostgreSQL\n{self.log_tail()}")
        self._pg_ctl_start()

    def kill(self) -> None:
        """Crash the server: SIGKILL the postmaster and its children, no shutdown at all.

        Children go too (each backend is in its own session, so this is not a process
        group kill): a backend that outlived its postmaster would keep the shared memory
        busy and prevent :meth:`start_again`. ``postmaster.pid`` stays, as after a crash.
        """
        pid = self.postmaster_pid()
        if pid is None or not _pid_alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)  # no new child while we list them
        victims = [pid, *_child_pids(pid)]
        for victim in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + self.timeout
        while any(_pid_alive(victim) for victim in victims):
            if time.monotonic() > deadline:
                raise PostgresError(f"des processus PostgreSQL survivent à SIGKILL : {victims}")
            time.sleep(0.01)

    def start_again(self) -> None:
        """Start the server on the same data directory and port, e.g. after :meth:`kill`.

        After a crash, ``pg_ctl`` returns once crash recovery is over.
        """
        pid = self.postmaster_pid()
        if pid is not None and not _pid_alive(pid):
            # Stale lock files. PostgreSQL ignores them unless their PID still exists,
            # which it does as a zombie until init reaps it (slow in some containers).
            (self.datadir / "postmaster.pid").unlink(missing_ok=True)
            for socket_lock in self.socket_dir.glob(".s.PGSQL.*.lock"):
                socket_lock.unlink(missing_ok=True)
        self._pg_ctl_start()

    def is_running(self) -> bool:
        pid = self.postmaster_pid()
        return pid is not None and _pid_alive(pid)

    def postmaster_pid(self) -> int | None:
        """PID from ``postmaster.pid``, or None when there is no such file."""
        try:
            first_line = (self.datadir / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first_line)
        except (FileNotFoundError, ValueError):
            return None

    # -- databases -----------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """``CREATE DATABASE name``; returns the new database's URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server log (empty when there is none yet)."""
        try:
            text = self.logfile.read_text(errors="replace")
        except (FileNotFoundError, PostgresError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- internals -----------------------------------------------------------------

    def _prepare_user(self) -> None:
        if os.geteuid() != 0:
            self._owner, self._runas = None, []
            return
        try:
            self._owner = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise PostgresError(
                f"PostgreSQL ne tourne pas en root et l'utilisateur {SYSTEM_USER!r} "
                "n'existe pas : installez le paquet postgresql."
            ) from None
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        if not os.access(runuser, os.X_OK):
            raise PostgresError("runuser est introuvable (paquet util-linux).")
        self._runas = [runuser, "-u", SYSTEM_USER, "--"]

    def _base_dir(self) -> Path:
        base = self.base_dir or Path(tempfile.gettempdir())
        if self._owner is None or _traversable_by(base.resolve(), self._owner):
            return base
        if self.base_dir is None and _traversable_by(Path("/tmp"), self._owner):
            return Path("/tmp")
        raise PostgresError(
            f"l'utilisateur {SYSTEM_USER!r} ne peut pas accéder à {base} : "
            "choisissez un autre répertoire temporaire (TMPDIR)."
        )

    def _run(self, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        """Run a server tool, as the cluster owner, from inside the work directory."""
        return subprocess.run(
            [*self._runas, *map(str, args)],
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.timeout + 30,
            check=False,
        )

    def _initdb(self) -> None:
        failures: list[str] = []
        for locale in ("C.UTF-8", "C"):
            result = self._run(
                self.binaries.initdb,
                *("-D", self.datadir, "-A", "trust", "-U", self.user),
                *("-E", "UTF8", f"--locale={locale}", "--no-instructions"),
            )
            if result.returncode == 0:
                return
            failures.append(f"--locale={locale} :\n{result.stdout}{result.stderr}".strip())
            if self.datadir.exists():  # initdb normally cleans up after itself
                shutil.rmtree(self.datadir)
        raise PostgresStartError("échec de initdb\n" + "\n".join(failures))

    def _server_options(self) -> str:
        settings = {
            "listen_addresses": self.host,
            "max_connections": str(self.max_connections),
            **(FAST_SETTINGS if self.fast else {}),
            **self.settings,
        }
        options = ["-p", str(self.port), "-k", str(self.socket_dir)]
        for name, value in settings.items():
            options += ["-c", f"{name}={value}"]
        # pg_ctl hands the options to the shell.
        return shlex.join(options)

    def _start_on_free_port(self) -> None:
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = free_port()
            try:
                self._pg_ctl_start()
                return
            except PostgresStartError as error:
                port_taken = any(hint in str(error) for hint in _PORT_IN_USE)
                if not port_taken or attempt == _START_ATTEMPTS:
                    raise

    def _pg_ctl_start(self) -> None:
        result = self._run(
            self.binaries.pg_ctl,
            *("start", "-w", "-t", str(round(self.timeout))),
            *("-D", self.datadir, "-l", self.logfile, "-o", self._server_options()),
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"échec du démarrage de PostgreSQL sur {self.host}:{self.port}\n"
                f"{result.stdout}{result.stderr}\n"
                f"--- fin du journal {self.logfile} ---\n{self.log_tail()}"
            )

    def _pg_ctl_stop(self, mode: str) -> bool:
        result = self._run(
            self.binaries.pg_ctl,
            *("stop", "-w", "-t", str(round(self.timeout)), "-m", mode, "-D", self.datadir),
        )
        return result.returncode == 0


# -- command line ------------------------------------------------------------------


def _run_command(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``command`` in the foreground and return its exit code.

    Ctrl-C reaches the command directly (same process group), so we ignore SIGINT and
    let it decide when to stop; SIGTERM and SIGHUP sent to us are passed on to it.
    """
    try:
        proc = subprocess.Popen(command, env=env)
    except OSError as error:
        print(f"impossible de lancer {command[0]!r} : {error}", file=sys.stderr)
        return 127

    def forward(signum: int, frame: FrameType | None) -> None:
        proc.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        returncode = proc.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # Killed by a signal: report it like a shell does.
    return 128 - returncode if returncode < 0 else returncode


def _cmd_run(args: argparse.Namespace) -> int:
    command: list[str] = args.command
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("aucune commande à lancer (… run -- CMD ARGS…)", file=sys.stderr)
        return 2
    try:
        with TempPostgres(fast=args.fast) as pg:
            env = {
                **os.environ,
                "DATABASE_URL": pg.create_database(args.database),
                "COMPTOIR_TEST_PG_URL": pg.url("postgres"),
            }
            print(f"PostgreSQL {pg.version} temporaire sur {pg.host}:{pg.port}", file=sys.stderr)
            return _run_command(command, env)
    except PostgresError as error:
        print(error, file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m tests.pgcluster") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serveur PostgreSQL jetable pour les tests et les mesures.",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    run = actions.add_parser(
        "run",
        help="lance une commande avec un PostgreSQL temporaire (DATABASE_URL)",
        description="Démarre un PostgreSQL temporaire, lance CMD avec DATABASE_URL "
        "et COMPTOIR_TEST_PG_URL, arrête le serveur et rend le code de sortie de CMD.",
    )
    durability = run.add_mutually_exclusive_group()
    durability.add_argument(
        "--keep-fast",
        dest="fast",
        action="store_true",
        default=True,
        help="fsync, synchronous_commit et full_page_writes désactivés (par défaut)",
    )
    durability.add_argument(
        "--durable", dest="fast", action="store_false", help="réglages de production"
    )
    run.add_argument("--database", default="comptoir", help="base créée (défaut : comptoir)")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS…")
    args = parser.parse_args(argv)
    return _cmd_run(args)


if __name__ == "__main__":
    sys.exit(main(prog="python -m comptoir.devtools.pgcluster"))
