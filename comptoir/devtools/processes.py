"""Child ``comptoir`` processes for the tests, the benchmarks and ``comptoir demo``: the
environment they get, ports, running a command to completion, ``comptoir shell`` with a
result, a served home (start, wait until it answers, stop, kill), and stopping.

Stopping is by process, or by process group for children started in a session of their
own (``start_new_session=True``, as :class:`Server` and :func:`spawn` do): never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Self

HOST = "127.0.0.1"
CHILD_ENV_DROPPED = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPTOIR_HOME")
START_TIMEOUT = 60.0
SHELL_MARKER = "@@COMPTOIR-OUT@@"


class ProcessError(RuntimeError):
    """A child process failed to start, to answer, or to give its result; the message says
    which and ends with what it printed."""


# -- environment and command lines --------------------------------------------------------


def child_env(*, pythonpath: str | os.PathLike[str] | None = None, **extra: str) -> dict[str, str]:
    """This process's environment minus what would pick a home or a database (each home
    decides its own), unbuffered; ``pythonpath`` (a source checkout) and ``extra`` added."""
    env = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
    env["PYTHONUNBUFFERED"] = "1"
    if pythonpath is not None:
        env["PYTHONPATH"] = os.fspath(pythonpath)
    env.update(extra)
    return env


def comptoir_argv(*args: str) -> list[str]:
    """``python -m comptoir ARGS`` with this interpreter."""
    return [sys.executable, "-m", "comptoir", *args]


# -- ports --------------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on ``port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will: connections of a server just stopped linger in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# -- running ------------------------------------------------------------------------------


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    capture: bool = True,
    stdin: int | None = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    """``comptoir ARGS`` to completion (whatever its exit code), output captured as text
    unless ``capture`` is false."""
    return subprocess.run(
        comptoir_argv(*args),
        env=dict(env) if env is not None else child_env(),
        stdin=stdin,
        capture_output=capture,
        text=True,
        timeout=timeout,
        check=False,
    )


def shell_program(code: str, marker: str = SHELL_MARKER) -> str:
    """``code`` wrapped so that what it assigns to ``out`` is printed as JSON after
    ``marker``."""
    return f"import json\nout = None\n{code}\nprint({marker!r} + json.dumps(out))\n"


def shell(
    home: Path,
    code: str,
    *,
    pythonpath: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    marker: str = SHELL_MARKER,
) -> tuple[bool, Any, subprocess.CompletedProcess[str]]:
    """Python ``code`` in ``comptoir shell`` on ``home`` (given by COMPTOIR_HOME: the shell
    takes no ``--home``). Returns whether it gave a result, the result (what the code
    assigned to ``out``, through JSON) and the finished process."""
    result = run(
        ["shell", "--no-startup", "-c", shell_program(code, marker)],
        env=child_env(pythonpath=pythonpath, COMPTOIR_HOME=str(home)),
        timeout=timeout,
    )
    for line in result.stdout.splitlines():
        if line.startswith(marker):
            return True, json.loads(line[len(marker) :]), result
    return False, None, result


def spawn(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """``comptoir ARGS`` in the background, in a session of its own (so that
    :func:`stop_process` and :func:`kill_process` reach its children too), text streams."""
    return subprocess.Popen(
        comptoir_argv(*args),
        env=dict(env) if env is not None else child_env(),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )


# -- waiting ------------------------------------------------------------------------------


def wait_until_up(
    url: str,
    process: subprocess.Popen[Any],
    timeout: float = START_TIMEOUT,
    *,
    any_status: bool = True,
    interval: float = 0.2,
) -> bool:
    """Poll ``url`` until it answers, False when ``process`` dies or ``timeout`` passes.
    An HTTP error status counts as an answer unless ``any_status`` is false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            if any_status:
                return True
        except OSError:
            pass
        time.sleep(interval)
    return False


# -- stopping -----------------------------------------------------------------------------


# Windows has no SIGKILL nor process groups to signal: ``Popen.kill`` is its hard stop.
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def signal_process(proc: subprocess.Popen[Any], sig: int, *, group: bool = True) -> None:
    """Send ``sig`` to the process, and to its process group when it leads one (POSIX);
    ``KILL`` is ``Popen.kill``, which every platform has."""
    killpg = getattr(os, "killpg", None)
    if group and killpg is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            killpg(proc.pid, sig)
    with contextlib.suppress(ProcessLookupError):
        if sig == KILL:
            proc.kill()
        else:
            proc.send_signal(sig)


def stop_processes(
    processes: Sequence[subprocess.Popen[Any]],
    *,
    sig: int = signal.SIGTERM,
    timeout: float = 10.0,
    group: bool = True,
) -> None:
    """``sig`` to all of them at once, then wait for each; SIGKILL to whichever has not
    exited within ``timeout``. With ``group``, the signals go to their process groups too,
    and an exited leader's group still gets SIGKILL, so that nothing of it survives."""
    for proc in processes:
        if proc.poll() is None:
            signal_process(proc, sig, group=group)
        elif group:
            signal_process(proc, KILL)
    for proc in processes:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_process(proc, KILL, group=group)
            proc.wait(timeout=timeout)


def stop_process(proc: subprocess.Popen[Any], *, timeout: float = 10.0) -> None:
    """SIGTERM to the process and its group, then SIGKILL if it does not exit in time."""
    stop_processes([proc], timeout=timeout)


def kill_process(proc: subprocess.Popen[Any], *, timeout: float = 30.0) -> None:
    """SIGKILL to the process and its group: no cleanup at all, as in a power cut."""
    signal_process(proc, KILL)
    proc.wait(timeout=timeout)


# -- a served home ------------------------------------------------------------------------


class Server:
    """``comptoir serve`` for one home, on a free port of 127.0.0.1 (kept across restarts),
    in a session of its own, logging to ``log_dir/<name>.log``. ``extra``: more ``serve``
    options; ``pythonpath``: the source checkout the child imports."""

    ready_path = "/admin/login/"

    def __init__(
        self,
        home: Path,
        *,
        name: str,
        log_dir: Path,
        extra: Sequence[str] = (),
        pythonpath: str | os.PathLike[str] | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.home = home
        self.name = name
        self.extra = tuple(extra)
        self.pythonpath = pythonpath
        self.start_timeout = start_timeout
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        """Start it and wait until it answers; :class:`ProcessError` if it stops or stays
        silent."""
        if self.running():
            raise ProcessError(f"{self.name} tourne déjà")
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start #{self.starts} ---\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                comptoir_argv(
                    "serve", "--home", str(self.home), "--bind", f"{HOST}:{self.port}", *self.extra
                ),
                env=child_env(pythonpath=self.pythonpath),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        up = wait_until_up(
            self.url + self.ready_path,
            self.proc,
            self.start_timeout,
            any_status=False,
            interval=0.1,
        )
        if not up:
            if self.proc.poll() is not None:
                raise ProcessError(f"{self.name} s'est arrêté au démarrage :\n{self.log_tail()}")
            raise ProcessError(f"{self.name} ne répond pas sur {self.url} :\n{self.log_tail()}")
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Clean stop (SIGTERM), SIGKILL after 10 s."""
        if self.proc is not None:
            stop_process(self.proc)

    def kill(self) -> None:
        """SIGKILL, no shutdown at all."""
        if self.proc is not None:
            kill_process(self.proc)

    def restart(self) -> Self:
        """Start again on the same home, database and port."""
        self.stop()
        return self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
