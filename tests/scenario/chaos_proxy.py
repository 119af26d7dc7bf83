"""A fault-injecting TCP proxy for scenario tests: tills talk to the hub through it.

It runs an asyncio event loop in a background thread, listens on a free loopback port
and forwards each connection to ``upstream_port``. Faults are switched at run time by
assigning :attr:`ChaosProxy.faults` (probabilities, drawn per connection or per chunk
from one seeded ``random.Random``, so a seed replays the same decisions for the same
sequence of connections) and every fault injected is counted in :attr:`ChaosProxy.counts`:

- ``refused``: the connection is closed at accept, nothing forwarded (hub "down");
- ``delayed``: a chunk waits up to ``delay_max`` seconds before being forwarded;
- ``cut_up`` / ``cut_down``: the connection is reset after a random number of bytes
  towards the hub (a truncated request) or towards the till (a truncated answer: the hub
  may have applied a push whose answer the till never gets);
- ``duplicated``: once the till's connection is over, everything the till sent on it is
  sent again on a second connection to the hub, whose answers are discarded (a request
  delivered twice, e.g. by a retrying middlebox).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections import Counter
from dataclasses import dataclass

CHUNK = 16384
REPLAY_IDLE_SECONDS = 2.0
REPLAY_MAX_SECONDS = 60.0


@dataclass(frozen=True)
class Faults:
    """Probabilities of each fault (0 = never). ``Faults()`` forwards faithfully."""

    refuse: float = 0.0
    delay: float = 0.0
    delay_max: float = 0.3
    cut: float = 0.0
    cut_directions: tuple[str, ...] = ("up", "down")
    cut_max_bytes: int = 20000
    duplicate: float = 0.0

    @property
    def active(self) -> bool:
        return any((self.refuse, self.delay, self.cut, self.duplicate))


class ChaosProxy:
    def __init__(
        self, upstream_port: int, *, seed: int = 0, upstream_host: str = "127.0.0.1"
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rng = random.Random(seed)
        self.faults = Faults()
        self.counts: Counter[str] = Counter()
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- life cycle (called from the test's thread) --------------------------------

    def start(self) -> ChaosProxy:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, "127.0.0.1", 0, reuse_address=True)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="chaos-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> ChaosProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def heal(self) -> None:
        """No more faults, from now on, on open connections too."""
        self.faults = Faults()

    def drop_connections(self) -> None:
        """Reset every open connection now (as a network outage would)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._abort_all)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    # -- in the proxy's event loop ------------------------------------------------

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def _draw(self, probability: float) -> bool:
        return probability > 0 and self.rng.random() < probability

    def _abort_all(self) -> None:
        if self._writers:
            self._count("dropped")
        for writer in list(self._writers):
            writer.transport.abort()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        self._abort_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: object) -> None:
        assert asyncio.iscoroutine(coro)
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        faults = self.faults
        self._count("connections")
        self._writers.add(client_w)
        try:
            if self._draw(faults.refuse):
                self._count("refused")
                client_w.transport.abort()
                return
            try:
                hub_r, hub_w = await asyncio.open_connection(*self.upstream)
            except OSError:
                self._count("upstream_down")
                client_w.transport.abort()
                return
            self._writers.add(hub_w)
            cut_dir, cut_at = None, 0
            if self._draw(faults.cut) and faults.cut_directions:
                cut_dir = self.rng.choice(faults.cut_directions)
                cut_at = self.rng.randint(1, faults.cut_max_bytes)
            duplicate = self._draw(faults.duplicate)
            sent: list[bytes] = []
            cut = asyncio.Event()

            async def pump(
                src: asyncio.StreamReader, dst: asyncio.StreamWriter, direction: str
            ) -> None:
                budget = cut_at if cut_dir == direction else -1
                try:
                    while not cut.is_set():
                        data = await src.read(CHUNK)
                        if not data:
                            break
                        current = self.faults
                        if self._draw(current.delay):
                            self._count("delayed")
                            await asyncio.sleep(self.rng.uniform(0, current.delay_max))
                        if budget >= 0 and not current.cut:
                            budget = -1  # healed meanwhile: this connection is spared
                        if budget >= 0 and len(data) >= budget:
                            dst.write(data[:budget])
                            with contextlib.suppress(OSError):
                                await dst.drain()
                            self._count(f"cut_{direction}")
                            cut.set()
                            # A reset, not a clean close: both peers see the stream break.
                            client_w.transport.abort()
                            hub_w.transport.abort()
                            return
                        if budget >= 0:
                            budget -= len(data)
                        if direction == "up" and duplicate:
                            sent.append(data)
                        dst.write(data)
                        await dst.drain()
                    if dst.can_write_eof():
                        with contextlib.suppress(OSError):
                            dst.write_eof()
                except (OSError, asyncio.IncompleteReadError):
                    pass
                finally:
                    if direction == "down":  # the hub is done (or gone): so is the till's
                        client_w.close()
                        hub_w.close()

            await asyncio.gather(
                pump(client_r, hub_w, "up"), pump(hub_r, client_w, "down"), return_exceptions=True
            )
            self._writers.discard(hub_w)
            if duplicate and sent and not cut.is_set():
                self._count("duplicated")
                self._spawn(self._replay(b"".join(sent)))
        finally:
            self._writers.discard(client_w)
            with contextlib.suppress(Exception):
                client_w.close()

    async def _replay(self, payload: bytes) -> None:
        """Send ``payload`` again on a new connection; read the answers and drop them.

        The connection stays open until the hub has been quiet for a while: closing it
        early would let the hub cancel the duplicated request instead of applying it.
        """
        try:
            reader, writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            self._count("replay_failed")
            return
        self._writers.add(writer)
        try:
            writer.write(payload)
            await writer.drain()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + REPLAY_MAX_SECONDS
            while loop.time() < deadline:
                try:
                    data = await asyncio.wait_for(reader.read(CHUNK), REPLAY_IDLE_SECONDS)
                except TimeoutError:
                    break
                if not data:
                    break
                self._count("replay_bytes", len(data))
        except OSError:
            self._count("replay_failed")
        finally:
            self._writers.discard(writer)
            writer.close()
