"""The live stream with real processes: a hub served on PostgreSQL, two tills of its store
and one of another store, each under ``comptoir serve`` with its worker.

Till B reaches the hub through a relay of this test (a plain TCP relay that reads the
request lines going by): a sale on till A must reach B on its stream, with no pull
request from B, and never reach the other store's till; the stream comes back after a
hub restart and resumes from B's cursor (sales made meanwhile all arrive, ``verify``
identical); a revoked till's stream is closed by the hub.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from comptoir.devtools import processes
from tests.scenario.conftest import CLI_TIMEOUT, PASSWORD, Shop, child_env

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

REQUEST = re.compile(rb"(GET|POST) /api/sync/v1/(\w+)")


class Relay:
    """Forwards each connection to the hub and counts the sync API's requests by path;
    ``streams``: the connections that asked for a stream and are still open."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.requests: Counter[str] = Counter()
        self.streams = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Relay:
        threading.Thread(target=self._run, daemon=True).start()
        assert self._ready.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        streaming = [False]

        async def pipe(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, upward: bool
        ) -> None:
            try:
                while chunk := await source.read(65536):
                    if upward:
                        for match in REQUEST.finditer(chunk):
                            path = match.group(2).decode()
                            self.requests[path] += 1
                            if path == "stream" and not streaming[0]:
                                streaming[0] = True
                                self.streams += 1
                    sink.write(chunk)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()

        await asyncio.gather(
            pipe(reader, up_writer, upward=True), pipe(up_reader, writer, upward=False)
        )
        if streaming[0]:
            self.streams -= 1

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} : pas en {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


def _add_till(shop: Shop, name: str, key: str, *, store: str | None, server: str) -> Path:
    args = ["hub", "enroll", "--name", name, *(["--store", store] if store else [])]
    code = shop.run(shop.hub_home, *args).stdout.strip().splitlines()[-1].strip()
    home = shop.base / key
    result = processes.run(
        [
            "node",
            "init",
            "--home",
            str(home),
            "--server",
            server,
            "--code",
            code,
            "--admin-password",
            PASSWORD,
        ],
        env=child_env(),
        timeout=CLI_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shop.tills[name] = home
    return home


def _sell(shop: Shop, home: Path) -> str:
    sold = shop.run(home, "sell", "A:1")
    return next(w for w in sold.stdout.split() if re.fullmatch(r"C\d+-\d{4}-\d+", w))


def test_a_sale_reaches_the_store_s_other_till_on_its_stream_across_a_hub_restart(
    shop: Shop,
) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "100")
    shop.shell(
        hub,
        "from comptoir.stores.services import store_get_or_create\n"
        "out = str(store_get_or_create(name='Autre magasin').pk)\n",
    )
    relay = Relay(shop.hub.port).start()
    try:
        till_a = _add_till(shop, "Caisse A", "a", store=None, server=shop.hub.url)
        till_b = _add_till(shop, "Caisse B", "b", store=None, server=relay.url)
        till_z = _add_till(shop, "Caisse Z", "z", store="Autre magasin", server=shop.hub.url)
        for home, name in ((till_a, "a"), (till_b, "b"), (till_z, "z")):
            # --interval 600: the safety-net full sync cannot be what delivers the sale.
            shop.serve(home, name, "--interval", "600")
        _wait_for(lambda: relay.streams == 1, 15, "le flux de la caisse B ouvert")
        pulls = relay.requests["pull"]

        # 1. A sale on A: on B through its stream, with no pull; never on Z.
        number = _sell(shop, till_a)
        elapsed = _wait_for(lambda: number in shop.invoice_numbers(till_b), 15, "vente sur B")
        print(f"  vente de A visible sur B en {elapsed:.2f} s, sans tirage")
        assert relay.requests["pull"] == pulls
        assert relay.requests["stream"] == 1
        assert shop.stock(till_b, "A") == "99"

        # 2. A hub restart: B's stream ends with it, and comes back from B's cursor; the
        # sales made while the hub was down all reach B.
        started = time.monotonic()
        shop.hub.stop()
        print(f"  hub arrêté en {time.monotonic() - started:.2f} s (flux ouverts fermés)")
        stop_seconds = time.monotonic() - started
        # Prompt: streams and long polls end, even one a till reopens in the moment before
        # the server stops accepting (else it waits for them and is killed after 10 s).
        assert stop_seconds < 5, stop_seconds
        offline = [_sell(shop, till_a) for _ in range(2)]
        shop.hub.start()
        _wait_for(lambda: relay.streams == 1 and relay.requests["stream"] >= 2, 30, "flux repris")
        pulls = relay.requests["pull"]
        later = _sell(shop, till_a)
        _wait_for(
            lambda: {*offline, later} <= set(shop.invoice_numbers(till_b)), 30, "ventes sur B"
        )
        assert shop.invoice_numbers(till_b)[later] == 1
        assert relay.requests["pull"] == pulls  # the last one came on the stream too
        assert number not in shop.invoice_numbers(till_z)
        assert not set(offline) & set(shop.invoice_numbers(till_z))
        shop.verify(till_b)

        # 3. Revoked: the hub closes B's stream; B no longer receives A's sales.
        shop.run(hub, "hub", "revoke", "Caisse B")
        elapsed = _wait_for(lambda: relay.streams == 0, 15, "flux de B fermé")
        print(f"  flux de la caisse révoquée fermé en {elapsed:.2f} s")
        last = _sell(shop, till_a)
        _wait_for(lambda: last in shop.invoice_numbers(hub), 15, "vente sur le hub")
        time.sleep(1.0)
        assert last not in shop.invoice_numbers(till_b)
        assert relay.streams == 0

    except AssertionError:
        for server in shop.servers:
            print(f"--- {server.name}\n{server.log_tail(400)}")
        raise
    finally:
        relay.stop()
