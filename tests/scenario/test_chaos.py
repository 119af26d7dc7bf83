"""Scenario 5 at large (issue 5): a few thousand sales through a hostile network and crashes.

Two tills are enrolled with the hub through :class:`ChaosProxy` and served with their
sync workers. While both sell (``invoice_sell`` loops in ``comptoir shell``, in batches),
faults are injected at random moments: proxy fault modes switched on and off (outages,
delays, connections cut mid-request and mid-response, duplicated deliveries), SIGKILL of
a till server (then started again), SIGKILL of the hub (then started again), PostgreSQL
restarted cleanly or crashed, and stock receipts and article edits made on the hub.
Then everything is healed and the workers alone (no ``comptoir sync`` by hand) must
bring every post to the same data: empty outboxes, ``verify`` identical, every invoice
exactly once everywhere, each till's series 1..N without a gap, one stock level.

``COMPTOIR_SCENARIO_SEED`` replays the fault schedule (processes' timing still varies);
``COMPTOIR_CHAOS_SALES`` sets the sales per till (default 1000).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pgcluster import PostgresNotFoundError, TempPostgres
from tests.scenario.chaos_proxy import ChaosProxy, Faults
from tests.scenario.conftest import Server, Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

SALES_PER_TILL = int(os.environ.get("COMPTOIR_CHAOS_SALES", "1000"))
BATCH = 100
INITIAL_STOCK = 1_000_000
CONVERGE_TIMEOUT = 240.0
SAFETY_SYNC_SECONDS = "10"

PROXY_MODES: dict[str, Faults] = {
    "coupures": Faults(cut=0.7),
    "lenteurs": Faults(delay=0.5, delay_max=0.4),
    "doublons": Faults(duplicate=0.5),
    "panne réseau": Faults(refuse=1.0),
    "tout à la fois": Faults(refuse=0.1, delay=0.2, cut=0.2, duplicate=0.2),
}


@pytest.fixture(scope="module")
def pg() -> Iterator[TempPostgres]:
    """A durable cluster (``fast=False``): this test kills PostgreSQL, and the suite's fast
    clusters run with ``synchronous_commit=off``, where a killed server forgets the last
    transactions it acknowledged (here: pushes the tills were told were on the hub)."""
    cluster = TempPostgres(fast=False)
    try:
        cluster.start()
    except PostgresNotFoundError as exc:
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def rng() -> random.Random:
    seed = int(os.environ.get("COMPTOIR_SCENARIO_SEED", random.randrange(1_000_000)))
    print(f"  graine COMPTOIR_SCENARIO_SEED={seed}")
    return random.Random(seed)


class Sellers:
    """One thread per till selling ``count`` one-line invoices in batches of ``BATCH``."""

    def __init__(self, shop: Shop, tills: list[Path], count: int) -> None:
        self.shop = shop
        self.errors: list[str] = []
        self.sold: Counter[str] = Counter()
        self.threads = [
            threading.Thread(target=self._sell, args=(home, count), daemon=True) for home in tills
        ]

    def start(self) -> Sellers:
        for thread in self.threads:
            thread.start()
        return self

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _sell(self, home: Path, count: int) -> None:
        try:
            while self.sold[home.name] < count:
                batch = min(BATCH, count - self.sold[home.name])
                self.sold[home.name] += self.shop.shell(
                    home,
                    "from comptoir.sales.services import SaleLine, invoice_sell\n"
                    "out = 0\n"
                    f"for _ in range({batch}):\n"
                    "    invoice_sell(lines=[SaleLine(article='A', quantity=1)])\n"
                    "    out += 1\n",
                )
        except Exception as exc:  # reported by the test, in its thread
            self.errors.append(f"{home.name} : {exc}")


class Chaos:
    """Faults injected one at a time, each undone before the next (except proxy modes,
    which stay on until the next event switches them)."""

    def __init__(
        self, shop: Shop, pg: TempPostgres, proxy: ChaosProxy, tills: list[Server], rng: Any
    ) -> None:
        self.shop, self.pg, self.proxy, self.tills, self.rng = shop, pg, proxy, tills, rng
        self.events: Counter[str] = Counter()
        self.received = 0  # stock received on the hub during the run
        self.edits = 0

    def plan(self) -> list[str]:
        """Every kind of fault once, in a random order (then :meth:`step` draws freely)."""
        kinds = [f"proxy:{name}" for name in PROXY_MODES]
        kinds += ["kill_till", "kill_till", "kill_hub", "pg_restart", "pg_kill", "hub_write"]
        self.rng.shuffle(kinds)
        return kinds

    def draw(self) -> str:
        kind = self.rng.choices(
            ("proxy", "kill_till", "kill_hub", "pg_restart", "pg_kill", "hub_write"),
            weights=(4, 2, 1, 0.5, 0.5, 2),
        )[0]
        if kind == "proxy":
            kind = "proxy:" + self.rng.choice([*PROXY_MODES, "aucune"])
        return kind

    def step(self, kind: str) -> None:
        if kind.startswith("proxy:"):
            name = kind.removeprefix("proxy:")
            self.proxy.faults = PROXY_MODES.get(name, Faults())
            # Kept-alive connections would go on under the old mode: reset them.
            self.proxy.drop_connections()
            self.events[f"proxy : {name}"] += 1
        elif kind == "kill_till":
            server = self.rng.choice(self.tills)
            server.kill()
            time.sleep(self.rng.uniform(0, 2))
            server.start()
            self.events[f"SIGKILL {server.name}"] += 1
        elif kind == "kill_hub":
            self.shop.hub.kill()
            time.sleep(self.rng.uniform(0, 2))
            self.shop.hub.start()
            self.events["SIGKILL hub"] += 1
        elif kind == "pg_restart":
            self.pg.restart()
            self.events["PostgreSQL redémarré"] += 1
        elif kind == "pg_kill":
            self.pg.kill()
            time.sleep(self.rng.uniform(0, 1))
            self.pg.start_again()
            self.events["PostgreSQL tué (SIGKILL) puis relancé"] += 1
        else:
            hub = self.shop.hub_home
            if self.rng.random() < 0.5:
                quantity = self.rng.randint(1, 500)
                self.shop.run(hub, "stock", "receive", "A", str(quantity))
                self.received += quantity
                self.events["réception de stock sur le hub"] += 1
            else:
                self.edits += 1
                price = f"{2 + self.edits % 7}.{self.edits % 100:02d}"
                self.shop.run(
                    hub,
                    "article",
                    "set",
                    "B",
                    "--name",
                    f"Article B v{self.edits}",
                    "--price",
                    price,
                )
                self.events["article modifié sur le hub"] += 1


def _series(numbers: Counter[str]) -> dict[str, list[int]]:
    by_prefix: dict[str, list[int]] = {}
    for number in numbers:
        prefix = number.split("-")[0]
        by_prefix.setdefault(prefix, []).append(int(number.split("-")[-1]))
    return {prefix: sorted(counters) for prefix, counters in by_prefix.items()}


def _converged(shop: Shop, tills: list[Path], total: int) -> bool:
    for home in tills:
        status = shop.json(home, "status")
        if status["pending"] or not status["online"]:
            return False
    on_hub = shop.invoice_numbers(shop.hub_home)
    return sum(on_hub.values()) >= total and all(
        sum(shop.invoice_numbers(home).values()) >= total for home in tills
    )


def test_thousands_of_sales_through_cuts_kills_and_restarts_converge_by_themselves(
    shop: Shop, pg: TempPostgres, rng: random.Random
) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "article", "add", "--code", "B", "--name", "Article B", "--price", "1.00")
    shop.run(hub, "stock", "receive", "A", str(INITIAL_STOCK))
    proxy = ChaosProxy(shop.hub.port, seed=rng.randrange(1 << 30)).start()
    try:
        homes = [shop.add_till(f"Caisse {i}", server=proxy.url) for i in (1, 2)]
        servers = [
            shop.serve(home, f"till{i}", "--interval", SAFETY_SYNC_SECONDS)
            for i, home in enumerate(homes, 1)
        ]
        chaos = Chaos(shop, pg, proxy, servers, rng)
        started = time.monotonic()
        sellers = Sellers(shop, homes, SALES_PER_TILL).start()
        plan = chaos.plan()
        while sellers.running() or plan:
            time.sleep(rng.uniform(0.5, 2.5))
            chaos.step(plan.pop() if plan else chaos.draw())
        sellers.join()
        assert not sellers.errors, sellers.errors
        total = 2 * SALES_PER_TILL
        print(f"  {total} ventes sur 2 caisses en {time.monotonic() - started:.1f} s")
        print("  pannes provoquées : " + ", ".join(f"{k} ×{v}" for k, v in chaos.events.items()))

        # Heal: the network is clean again, every process is up (each kill was followed
        # by a start). From here on nobody runs ``comptoir sync``: the workers must.
        proxy.heal()
        healed = time.monotonic()
        deadline = healed + CONVERGE_TIMEOUT
        while not _converged(shop, homes, total):
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- {s.name}\n{s.log_tail()}" for s in servers)
                where = {
                    home.name: (
                        {k: v for k, v in shop.json(home, "status").items() if k != "rejected"},
                        sum(shop.invoice_numbers(home).values()),
                    )
                    for home in homes
                }
                where["hub"] = sum(shop.invoice_numbers(hub).values())
                raise AssertionError(
                    f"pas de convergence en {CONVERGE_TIMEOUT} s\n{where}\n{tails}"
                )
            time.sleep(1.0)
        print(f"  convergence {time.monotonic() - healed:.1f} s après la fin des pannes")
        print(f"  proxy : {dict(sorted(proxy.snapshot().items()))}")

        on_hub = shop.invoice_numbers(hub)
        assert {n: c for n, c in on_hub.items() if c != 1} == {}, "factures en double sur le hub"
        series = _series(on_hub)
        assert sorted(series) == ["C1", "C2"], sorted(series)
        for counters in series.values():
            # Nothing lost, nothing doubled: the whole series of each till, with no gap.
            assert counters == list(range(1, SALES_PER_TILL + 1))
        for home in homes:
            status = shop.json(home, "status")
            assert status["pending"] == 0  # no stuck outbox
            assert status["rejected"] == []
            assert status["pull_failures"] == []
            # The worker is back by itself.
            assert status["online"], f"{status}\n{servers[homes.index(home)].log_tail()}"
            assert shop.invoice_numbers(home) == on_hub  # the other till's too, once each
        expected_stock = str(INITIAL_STOCK + chaos.received - total)
        assert shop.stock(hub, "A") == expected_stock
        for home in homes:
            assert shop.stock(home, "A") == expected_stock
            shop.verify(home)  # every row of every synced model is identical
        for server in servers:
            assert server.running(), f"{server.name} s'est arrêté :\n{server.log_tail()}"
    finally:
        proxy.stop()
