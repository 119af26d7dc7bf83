"""Scenario 5: processes killed (SIGKILL) in the middle of a sync lose nothing, double nothing.

Push is idempotent by change id and each outbox entry is deleted only once the hub
acknowledged it; pull stores its cursor in the transaction that applies the page
(DESIGN §4). So whatever instant a till or the hub dies at, syncing again ends with every
invoice exactly once on the hub, an empty outbox, and identical data.

The kill instants are random; the seed is printed so that a failure can be replayed
(``COMPTOIR_SCENARIO_SEED``).
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.scenario.conftest import Shop, kill_process, write_articles_csv

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

INVOICES = 300
ARTICLES = 1000
MAX_KILLS = 4


@pytest.fixture
def rng() -> random.Random:
    seed = int(os.environ.get("COMPTOIR_SCENARIO_SEED", random.randrange(1_000_000)))
    print(f"  graine COMPTOIR_SCENARIO_SEED={seed}")
    return random.Random(seed)


def _sell_many(shop: Shop, home: Path, count: int) -> None:
    """``count`` one-line invoices at once (one process: ``comptoir sell`` costs ~0.4 s each)."""
    started = time.monotonic()
    shop.shell(
        home,
        "from comptoir.sales.services import SaleLine, invoice_sell\n"
        f"for _ in range({count}):\n"
        "    invoice_sell(lines=[SaleLine(article='A', quantity=1)])\n",
    )
    print(f"  {count} factures créées en {time.monotonic() - started:.1f} s")


def _kill_during(
    shop: Shop, home: Path, args: tuple[str, ...], rng: random.Random, low: float, high: float
) -> list[str]:
    """Run ``comptoir ARGS`` and SIGKILL it after a random delay, until one run completes
    by itself (or ``MAX_KILLS`` kills). Returns what happened, for the record.

    The next run starts at once, while the hub may still be applying the dead till's
    request (it does not know the client is gone): the two pushes overlap on the hub.
    """
    events = []
    for _ in range(MAX_KILLS):
        proc = shop.popen(home, *args)
        delay = rng.uniform(low, high)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            kill_process(proc)
            events.append(f"tué après {delay:.2f} s")
            continue
        events.append(f"fini seul en moins de {delay:.2f} s (code {proc.returncode})")
        break
    print("  " + " ; ".join(events))
    return events


def _assert_all_once(shop: Shop, till: Path, count: int) -> Counter[str]:
    on_hub = shop.invoice_numbers(shop.hub_home)
    twice = {n: c for n, c in on_hub.items() if c != 1}
    assert not twice, f"factures en double sur le hub : {twice}"
    counters = sorted(int(n.split("-")[-1]) for n in on_hub if n.startswith("C1-"))
    # Nothing lost: the whole series, 1..count, with no gap.
    assert counters == list(range(1, count + 1))
    status = shop.json(till, "status")
    assert status["pending"] == 0  # the outbox is empty
    assert status["rejected"] == []
    assert shop.invoice_numbers(till) == on_hub
    # Stock derived from the same facts: 5000 received, one sold per invoice.
    assert shop.stock(shop.hub_home, "A") == shop.stock(till, "A") == str(5000 - count)
    shop.verify(till)  # and every row of every synced model is identical
    return on_hub


def _setup(shop: Shop) -> Path:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "5000")
    return shop.add_till("Caisse 1")


def test_a_till_killed_during_push_loses_and_doubles_nothing(
    shop: Shop, rng: random.Random
) -> None:
    till = _setup(shop)
    _sell_many(shop, till, INVOICES)
    _kill_during(shop, till, ("sync", "--mode", "push"), rng, 0.4, 2.5)
    started = time.monotonic()
    shop.sync(till)
    print(f"  synchronisation après les crashs : {time.monotonic() - started:.1f} s")
    _assert_all_once(shop, till, INVOICES)


def test_the_hub_killed_during_a_push_loses_and_doubles_nothing(
    shop: Shop, rng: random.Random
) -> None:
    till = _setup(shop)
    _sell_many(shop, till, INVOICES)
    for _ in range(2):
        proc = shop.popen(till, "sync", "--mode", "push")
        delay = rng.uniform(0.4, 2.0)
        time.sleep(delay)
        shop.hub.kill()
        _out, err = proc.communicate(timeout=60)
        print(f"  hub tué après {delay:.2f} s ; la caisse : code {proc.returncode} {err.strip()!r}")
        if proc.returncode != 0:
            # A plain reason in French, the till keeps its outbox.
            assert "Serveur" in err or "serveur" in err, err
            assert shop.json(till, "status")["pending"] > 0
        shop.hub.start()  # same home, same database, same port
    shop.sync(till)
    _assert_all_once(shop, till, INVOICES)


def test_a_till_killed_during_pull_ends_identical_to_the_hub(
    shop: Shop, rng: random.Random, tmp_path: Path
) -> None:
    hub = shop.hub_home
    till = shop.add_till("Caisse 1")
    csv = tmp_path / "articles.csv"
    write_articles_csv(csv, ARTICLES)
    started = time.monotonic()
    shop.run(hub, "import", "articles", str(csv))
    print(f"  {ARTICLES} articles importés sur le hub en {time.monotonic() - started:.1f} s")

    _kill_during(shop, till, ("sync", "--mode", "pull"), rng, 0.5, 2.5)
    shop.sync(till)
    on_hub = shop.json(hub, "article", "list")
    assert len(on_hub) == ARTICLES
    # Identical, field by field (ids, prices, barcodes, derived stock...).
    assert shop.json(till, "article", "list") == on_hub
    status = shop.json(till, "status")
    assert status["pull_failures"] == []
    assert status["pending"] == 0  # applying pulled changes put nothing in the outbox
    shop.verify(till)


def test_two_overlapping_pushes_of_one_till_are_not_rejected(shop: Shop) -> None:
    """Two pushes of the same outbox overlap on the hub: deterministic, by holding the
    change-log lock (a real PostgreSQL advisory lock, as a slow hub would) until the second
    push is blocked behind the first's uncommitted insert."""
    import psycopg

    from comptoir.sync.capture import LOG_LOCK_KEY

    till = _setup(shop)
    for _ in range(3):
        shop.run(till, "sell", "A:1")
    with psycopg.connect(shop.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [LOG_LOCK_KEY])
        first = shop.popen(till, "sync", "--mode", "push")
        _wait_for_lock_waiters(conn, 1)  # push 1 applied its rows, waits to log them
        second = shop.popen(till, "sync", "--mode", "push")  # e.g. the worker, or a retry
        waiting = _wait_for_lock_waiters(conn, 2)
        print(f"  transactions du hub en attente d'un verrou : {waiting}")
        conn.execute("SELECT pg_advisory_unlock(%s)", [LOG_LOCK_KEY])
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in (first, second)]
    print(f"  codes de sortie : {[code for code, _err in results]}")
    status = shop.json(till, "status")
    # The hub holds each invoice once: a change seen before is acknowledged as a duplicate,
    # never refused (DESIGN §4), whatever the timing of the two requests.
    assert status["rejected"] == [], status["rejected"][:1]
    assert [code for code, _err in results] == [0, 0], results
    _assert_all_once(shop, till, 3)


def _wait_for_lock_waiters(conn: object, count: int, timeout: float = 20.0) -> int:
    """Wait until ``count`` backends of the hub's database wait on a lock (or time out)."""
    import psycopg

    assert isinstance(conn, psycopg.Connection)
    deadline = time.monotonic() + timeout
    waiting = 0
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        waiting = int(row[0]) if row else 0
        if waiting >= count:
            break
        time.sleep(0.05)
    return waiting
