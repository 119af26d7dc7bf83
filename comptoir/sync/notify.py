"""Waking long-polling pullers when the hub's change log grows.

On PostgreSQL every append to the log sends ``NOTIFY comptoir_changes`` in its
transaction (delivered at commit, to every hub process). Each hub process keeps one
listening connection in its event loop and wakes its waiting pullers, so hundreds of
tills can wait without a query each every few milliseconds. Elsewhere (SQLite, a demo
hub) and if listening fails, pullers fall back to looking again every ``POLL_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from django.db import connection, connections

CHANNEL = "comptoir_changes"
POLL_SECONDS = 0.1
# Even when listening, a waiting poll looks again this often: a belt to the braces of
# waking every poller once the listener is back after a reconnection. At 2 s, 500 tills
# waiting made 250 page reads a second on the hub for nothing.
RECHECK_SECONDS = 10.0

log = logging.getLogger("comptoir.sync")


def notify_log_grew(store: str = "", origin: str = "") -> None:
    """Call in the transaction that appended to the log (no-op off PostgreSQL). ``store``:
    the one store whose nodes can see every entry appended, or "" (reference data, or
    several stores); ``origin``: the node the entries came from, which never sees them.
    Only the pollers that can see something are woken."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, f"{store}|{origin}"])


class LogWaiter:
    """Per process: a generation of the log that pullers can wait on."""

    def __init__(self) -> None:
        # Per store id ("" for pollers that see everything), then per node: the generation
        # they wait on.
        self._events: dict[str, dict[str, asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.listening = False
        # Set by ``comptoir serve``: a listener lives as long as the server's event loop.
        # Elsewhere (tests, one-off event loops) pullers just poll.
        self.enabled = False
        # The server stops: no poll waits any more (see ``stop``).
        self.stopping = False

    def _ensure_listener(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): start over in it
            self._loop, self._events, self._task, self.listening = loop, {}, None, False
            self.stopping = False
        if self._task is None and self.enabled and connections["default"].vendor == "postgresql":
            self._task = loop.create_task(self._listen())

    def start(self) -> None:
        """Listen now, in the running event loop (a server process starting), rather
        than at the first poll; nothing when listening is not enabled."""
        self._ensure_listener()

    def ticket(self, store: str = "", node: str = "") -> asyncio.Event:
        """Take before looking at the log; wait on it after finding nothing. A poller that
        sees one store's facts (and reference data) gives the store: a sale in another
        store does not wake it; and its node: its own sale, pushed, does not either."""
        self._ensure_listener()
        events = self._events.setdefault(store, {})
        event = events.get(node)
        if event is None:
            event = events[node] = asyncio.Event()
        return event

    def stop(self) -> None:
        """The server stops: wake every waiting poll, and let none wait from now on (each
        answers with what it has; its till asks again, of another process or later)."""
        self.stopping = True
        self._wake()

    async def wait(self, ticket: asyncio.Event, timeout: float) -> None:
        if self.stopping:
            return
        if not self.listening:
            await asyncio.sleep(min(timeout, POLL_SECONDS))
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ticket.wait(), min(timeout, RECHECK_SECONDS))

    def _wake(self, store: str = "", origin: str = "") -> None:
        """Wake the pollers of ``store`` (and those of every store), or all for "", but
        those of the ``origin`` node."""
        for key in [store, ""] if store else list(self._events):
            events = self._events.get(key, {})
            for node in [n for n in events if not origin or n != origin]:
                events.pop(node).set()

    async def _listen(self) -> None:
        settings: dict[str, Any] = connections["default"].settings_dict
        conninfo = psycopg.conninfo.make_conninfo(
            dbname=settings["NAME"],
            user=settings.get("USER") or None,
            password=settings.get("PASSWORD") or None,
            host=settings.get("HOST") or None,
            port=settings.get("PORT") or None,
        )
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if not self.listening:
                        log.info("à l'écoute du journal des changements (LISTEN %s)", CHANNEL)
                    self.listening = True
                    self._wake()  # anything committed while we were not listening
                    async for notice in conn.notifies():
                        store, _bar, origin = notice.payload.partition("|")
                        self._wake(store, origin)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarts: pollers poll meanwhile
                log.warning("écoute des changements interrompue (%s), nouvel essai", exc)
            self.listening = False
            await asyncio.sleep(1.0)


waiter = LogWaiter()
