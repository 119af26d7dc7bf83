"""The node's background sync worker, run by ``comptoir serve`` beside the web app.

Three duties, in two threads:
- push soon after each local commit: the outbox is watched (an in-process event set on
  commit, and a cheap look at the outbox every ``WATCH_SECONDS`` for writes made by other
  processes, such as the CLI), then pushed after a short debounce;
- receive continuously: on the hub's live stream (``streamclient``: one held connection,
  each page applied as it comes), or with a long poll where the stream cannot be had
  (an older hub, a proxy holding events back), trying the stream again every
  ``STREAM_RETRY_SECONDS``; so another till's sale arrives within a second;
- a full sync (pull then push) every ``interval`` seconds as a safety net.
When the hub is unreachable both threads back off exponentially with jitter (the first
one to reach the hub again ends the other's backoff), and say plainly how long the till
has been offline and how much waits to be sent. Nothing here may crash the till: every
error is logged and retried.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection
from django.db.models import Max

from comptoir.lib.errors import ComptoirError
from comptoir.lib.numbers import format_seconds
from comptoir.sync.models import OutboxEntry
from comptoir.syncengine import engine, streamclient
from comptoir.syncengine.client import HubBehind, HubClient, HubRefused, HubUnreachable
from comptoir.syncengine.describe import describe_moves
from comptoir.syncengine.selectors import age_text, sync_status

log = logging.getLogger("comptoir.sync")
# A cycle that moved nothing (« Rien à échanger ») every few seconds: logged apart, so that
# a terminal can leave them out (``comptoir demo`` without ``--verbose``) while the home's
# log file keeps them for the sync page.
idle_log = logging.getLogger("comptoir.sync.idle")

WATCH_SECONDS = 0.02  # a look for commits by other processes: two stat calls
DEBOUNCE_SECONDS = 0.01
LONG_POLL_SECONDS = 25
MAX_BACKOFF_SECONDS = 60.0
STREAM_RETRY_SECONDS = 300.0

# Set (after commit) when this process wrote to the outbox: the pusher wakes at once.
# Registered with ``capture.on_outbox_written`` by the app (``SyncEngineConfig.ready``).
outbox_changed = threading.Event()


def _database_stamp() -> tuple[int, ...] | None:
    """When and how much the SQLite files last changed: another process's commit (the CLI,
    a second server) changes the write-ahead log. One ``stat`` each, no query and no
    connection. None when there is no such file (not SQLite, in memory): always look."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or "memory" in name:
        return None
    stamp: list[int] = []
    for path in (name, f"{name}-wal"):
        try:
            info = os.stat(path)
        except OSError:
            stamp += [0, 0]
        else:
            stamp += [info.st_mtime_ns, info.st_size]
    return tuple(stamp)


class OutboxWatch:
    """When to look at the outbox again, from the database files' stamps.

    A commit is written to the write-ahead log before it is made visible (in its index):
    a look in between sees the new stamp and the old outbox. So a new stamp is looked at
    twice, now and at the next turn; without that, a sale written by another process
    (the CLI) waited for the next write, which a till on the live stream may not make
    for minutes.
    """

    def __init__(self) -> None:
        self.seen: tuple[int, ...] | None = None
        self.again = True

    def due(self, stamp: tuple[int, ...] | None) -> bool:
        changed = stamp is None or stamp != self.seen
        due, self.again, self.seen = changed or self.again, changed, stamp
        return due


def backoff_delay(failures: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: up to 1, 2, 4... seconds, capped at a minute."""
    ceiling = min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, failures - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


class SyncWorker:
    def __init__(
        self,
        *,
        interval: float = 60.0,
        client_factory: Callable[[], HubClient] | None = None,
        on_cycle: Callable[[], object] | None = None,
        stream: bool = True,
    ) -> None:
        self.interval = interval
        self.client_factory = client_factory or engine.client_from_settings
        # Run before each full sync (at start, then every ``interval``), whether the hub
        # answers or not: what is due by the clock (``comptoir serve`` closes the periods
        # that are over), given by the caller, as the engine imports no business app.
        self.on_cycle = on_cycle
        self.stream = stream  # receive on the hub's live stream when it offers one
        self._receiving: HubClient | None = None  # closed at shutdown: the stream ends
        self.stop = threading.Event()
        # Set when either loop reached the hub: the other one stops backing off at once
        # (after an outage or a full disk, the push need not wait out its backoff).
        self.reachable = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for name, target in (
            ("comptoir-push", self._push_loop),
            ("comptoir-pull", self._pull_loop),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)
        log.info("synchronisation automatique démarrée (sécurité toutes les %ds)", self.interval)

    def shutdown(self, timeout: float = 5.0) -> None:
        self.stop.set()
        outbox_changed.set()
        receiving = self._receiving
        if receiving is not None:
            receiving.close()
        for thread in self.threads:
            thread.join(timeout)

    def _pause(self, seconds: float) -> None:
        """Back off for ``seconds``, unless stopped or the other loop reaches the hub."""
        self.reachable.clear()
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and not self.reachable.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self.reachable.wait(min(remaining, 0.5))

    def _cycle(self) -> None:
        if self.on_cycle is None:
            return
        try:
            self.on_cycle()
        except Exception:  # the sync goes on whatever happens here
            log.exception("erreur de la tâche périodique (nouvel essai au prochain cycle)")

    def _offline(self, error: ComptoirError) -> None:
        engine.note_failure(error.message)
        status = sync_status()
        since = age_text(status.offline_since).replace("il y a ", "")
        log.warning(
            "hors ligne depuis %s, %d changement(s) en attente : %s",
            since,
            status.pending,
            error.message,
        )

    def _push_loop(self) -> None:
        failures = 0
        last_seq = -1
        next_full = time.monotonic()
        client: HubClient | None = None
        watch = OutboxWatch()
        woken = True
        while not self.stop.is_set():
            try:
                close_old_connections()
                if watch.due(_database_stamp()) or woken:
                    pending = OutboxEntry.objects.filter(rejected_at=None)
                    seq = pending.aggregate(m=Max("seq"))["m"] or 0
                full = time.monotonic() >= next_full
                if full:
                    self._cycle()
                if seq != last_seq or full:
                    time.sleep(DEBOUNCE_SECONDS)
                    client = client or self.client_factory()
                    started = time.monotonic()
                    report = engine.sync("sync" if full else "push", client=client)
                    if report.errors:
                        raise HubUnreachable(report.errors[-1])
                    moved = report.sent or report.received or report.rejected
                    if moved or full:
                        (log if moved else idle_log).info(
                            "%s (%s, %s)",
                            describe_moves(report.sent, report.received),
                            "complète" if full else "envoi",
                            format_seconds(time.monotonic() - started),
                        )
                    for model, reason in report.rejected:
                        log.warning("refusé par le serveur (%s) : %s", model, reason)
                    last_seq = seq
                    failures = 0
                    self.reachable.set()
                    if full:
                        next_full = time.monotonic() + self.interval
                woken = outbox_changed.wait(WATCH_SECONDS)
                outbox_changed.clear()
            except (HubUnreachable, HubRefused) as exc:
                failures += 1
                woken = True
                self._offline(exc)
                if client is not None:
                    client.close()
                    client = None
                self._pause(backoff_delay(failures))
            except Exception:  # the till must keep working whatever happens here
                failures += 1
                woken = True
                log.exception("erreur de synchronisation (nouvel essai)")
                self._pause(backoff_delay(failures))
        if client is not None:
            client.close()

    def _received(self, report: engine.Report) -> None:
        if report.received or report.rejected:
            log.info("%s", describe_moves(report.sent, report.received))

    def _pull_loop(self) -> None:
        failures = 0
        client: HubClient | None = None
        stream_from = 0.0  # (monotonic) the stream is tried from then on
        while not self.stop.is_set():
            try:
                close_old_connections()
                client = self._receiving = client or self.client_factory()
                streaming = self.stream and time.monotonic() >= stream_from
                # Before the stream, what is already there (compressed pages, pipelined).
                self._received(engine.pull(client, wait=0 if streaming else LONG_POLL_SECONDS))
                failures = 0
                self.reachable.set()
                if streaming:
                    stream_from = self._follow(client)
            except (HubUnreachable, HubRefused) as exc:
                if self.stop.is_set():
                    break
                failures += 1
                self._offline(exc)
                if client is not None:
                    client.close()
                    client = self._receiving = None
                self._pause(backoff_delay(failures))
            except Exception:
                if self.stop.is_set():
                    break
                failures += 1
                log.exception("erreur de réception (nouvel essai)")
                self._pause(backoff_delay(failures))
        if client is not None:
            client.close()

    def _follow(self, client: HubClient) -> float:
        """Receive on the hub's stream until it ends; when to try it next."""
        started = time.monotonic()
        try:
            streamclient.follow(
                client, stop=self.stop, on_page=self._received, on_open=self.reachable.set
            )
        except HubBehind:
            # The hub cut its log above this post's cursor (meanwhile): the next turn's
            # pull takes its snapshot, then the stream goes on from there.
            log.info("journal du serveur coupé au-delà de ce poste : instantané")
            return 0.0
        except streamclient.StreamUnavailable as exc:
            log.info(
                "pas de flux en direct (%s) : attente longue, nouvel essai dans %d s",
                exc.message,
                STREAM_RETRY_SECONDS,
            )
            return time.monotonic() + STREAM_RETRY_SECONDS
        if time.monotonic() - started < 1.0:  # ended at once: not again and again
            self._pause(1.0)
        return 0.0
