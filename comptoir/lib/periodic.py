"""A background thread of ``comptoir serve`` that does one job every so often (the
closings' clock, a till's maintenance, the hub's log compaction): started with the
server, stopped with it, its database connection closed when it ends."""

from __future__ import annotations

import threading

from django.db import connection


class PeriodicWorker:
    """Runs :meth:`cycle` every ``interval`` seconds, the first time after ``first_delay``
    (by default ``interval``). :meth:`cycle` must not raise: the server keeps serving."""

    name = "comptoir-worker"

    def __init__(self, *, interval: float, first_delay: float | None = None) -> None:
        self.interval = interval
        self.first_delay = interval if first_delay is None else first_delay
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def shutdown(self, timeout: float = 5.0) -> None:
        self.stop.set()
        self.thread.join(timeout)

    def cycle(self) -> object:
        raise NotImplementedError

    def _loop(self) -> None:
        try:
            delay = self.first_delay
            while not self.stop.wait(delay):
                delay = self.interval
                self.cycle()
        finally:
            connection.close()
