"""Two stores never wait for each other (DESIGN §9, ordering domains), with real tills.

A till of each store sold while offline. On the hub's PostgreSQL a transaction locks the
first store's stock level of the article sold, so the first store's push, once it has
taken its locks, is stuck in the middle of its transaction, as a long push would be. The
second store's till pushes meanwhile: its sale is on the hub at once (with one lock for
the whole log, it waited behind the stuck push). When the transaction ends, the first
store's push goes through; both tills then pull and hold exactly what the hub holds
(``verify``), every sale once.
"""

from __future__ import annotations

import subprocess
import time

import psycopg
import pytest

from tests.scenario.conftest import STORE, Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

OTHER = "Magasin du marché"


def _hub_numbers(shop: Shop) -> set[str]:
    with psycopg.connect(shop.database_url) as conn:
        return {row[0] for row in conn.execute("SELECT number FROM sales_invoice")}


def _until_a_push_waits(shop: Shop) -> None:
    """Until a hub backend waits for a row lock (the first store's push, inside its
    transaction, holding its ordering locks)."""
    deadline = time.monotonic() + 60
    with psycopg.connect(shop.database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')"
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the first store's push never reached the locked stock level")


def test_one_store_s_push_goes_through_while_another_store_s_push_is_stuck(
    shop: Shop,
) -> None:
    hub = shop.hub_home
    shop.shell(
        hub,
        f"from comptoir.stores.services import store_get_or_create\n"
        f"store_get_or_create(name={OTHER!r})\nout = 1",
    )
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "10")  # the store's level of A exists
    first = shop.add_till("Caisse du port", "port")
    second = shop.add_till("Caisse du marché", "market", store=OTHER)
    shop.run(first, "sell", "A:1")
    shop.run(second, "sell", "A:2")
    sold = {
        home: {row["number"] for row in shop.json(home, "invoice", "list")}
        for home in (first, second)
    }
    with psycopg.connect(shop.database_url) as conn:
        row = conn.execute("SELECT id FROM core_store WHERE name = %s", [STORE]).fetchone()
    assert row is not None
    store_id = row[0]

    with psycopg.connect(shop.database_url) as held:
        held.execute("SELECT 1 FROM stock_stocklevel WHERE store_id = %s FOR UPDATE", [store_id])
        waiting = shop.popen(first, "sync", "--mode", "push")
        _until_a_push_waits(shop)
        started = time.monotonic()
        shop.run(second, "sync", "--mode", "push")
        print(f"  l'autre magasin a poussé en {time.monotonic() - started:.2f} s")
        assert sold[second] <= _hub_numbers(shop)
        assert waiting.poll() is None, "the stuck push did not wait"
        assert not sold[first] & _hub_numbers(shop)
        held.rollback()  # the stuck push goes on
    try:
        waiting.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("the first store's push never went through") from None
    assert waiting.returncode == 0
    assert sold[first] <= _hub_numbers(shop)

    for home in (first, second):
        shop.sync(home)
        shop.verify(home)
    on_hub = shop.invoice_numbers(hub)
    assert all(on_hub[number] == 1 for number in sold[first] | sold[second]), on_hub
