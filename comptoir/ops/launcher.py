"""``comptoir start``'s parts: one launcher per home, where its till answers, waiting until
it does, and the browser.

One launcher serves a home at a time: it holds an exclusive lock on ``start.lock`` in the
home for as long as it runs, and the system drops that lock with the process however it
ends (Ctrl+C, a stopped service, a killed process, a power cut), so no stale state is left
to clean up. The address it serves is written beside it, in ``start.json``: on Windows a
locked byte cannot even be read by another process.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

LOCK_NAME = "start.lock"
STATE_NAME = "start.json"
# The page that answers once the server and the database are up (no login needed).
READY_PATH = "connexion/"
# The till screen the browser opens (the login page first when nobody is logged in).
TILL_PATH = "caisse/"
# Seconds ``comptoir start`` waits for the till to answer, by default.
START_TIMEOUT = 60.0


class HomeLock:
    """The lock a running ``comptoir start`` holds on its home."""

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_NAME
        self.state_path = home / STATE_NAME
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another launcher holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Forget the address, then drop the lock (closing the file drops it)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.state_path.unlink(missing_ok=True)
        if sys.platform == "win32":
            import msvcrt

            with contextlib.suppress(OSError):
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
        os.close(self._fd)
        self._fd = None

    def publish(self, url: str) -> None:
        """Say where this launcher serves the till (read by a second ``comptoir start``)."""
        self.state_path.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")

    def held_elsewhere(self) -> bool:
        """Whether another launcher holds the lock now."""
        if self.acquire():
            self.release()
            return False
        return True

    def served_url(self, wait: float = 5.0) -> str | None:
        """The address another launcher published; it may still be starting (``wait``)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                url = json.loads(self.state_path.read_text(encoding="utf-8"))["url"]
            except (OSError, ValueError, KeyError, TypeError):
                url = None
            if isinstance(url, str) or time.monotonic() >= deadline:
                return url if isinstance(url, str) else None
            time.sleep(0.1)


def browse_url(host: str, port: int) -> str:
    """The address a browser on this machine uses for a server bound to ``host:port``."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (the server could not bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As uvicorn does: connections of a server just stopped linger in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


# Loopback, straight: a shop's HTTP_PROXY must not carry requests to its own till.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(url: str) -> bool:
    """Whether the server at ``url`` answers (an HTTP error below 500 is an answer)."""
    try:
        with _direct.open(url, timeout=2):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


def wait_until_answers(url: str, timeout: float, interval: float = 0.2) -> bool:
    """Poll ``url`` until it answers; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if answers(url):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def open_browser(url: str) -> bool:
    """Open ``url`` in the default browser (``BROWSER`` chooses another); False if none."""
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
