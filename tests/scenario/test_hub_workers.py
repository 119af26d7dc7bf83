"""A hub served by several processes (``serve --workers 2``, one per core on PostgreSQL):
pushes and long polls land on either process, and the tills still converge."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.scenario.conftest import Server, Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _children(server: Server) -> list[int]:
    assert server.proc is not None
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == server.proc.pid:
                found.append(int(entry.name))
    return found


def test_tills_converge_through_a_hub_of_two_processes(shop: Shop) -> None:
    shop.hub.stop()
    shop.hub = Server(shop.hub_home, name="hub2", log_dir=shop.logs, extra=("--workers", "2"))
    shop.servers.append(shop.hub)
    shop.hub.start()
    deadline = time.monotonic() + 10
    while len(_children(shop.hub)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_children(shop.hub)) >= 2  # the supervisor and its two server processes
    # Each server process listens for the change log's notifications from its start-up,
    # before any till has polled it.
    while shop.hub.log_path.read_text().count("à l'écoute du journal des changements") < 2:
        assert time.monotonic() < deadline + 5, shop.hub.log_path.read_text()[-2000:]
        time.sleep(0.1)

    shop.run(shop.hub_home, "article", "add", "--code", "A", "--name", "Article A", "--price", "2")
    shop.run(shop.hub_home, "stock", "receive", "A", "100")
    tills = [shop.add_till("Caisse 1"), shop.add_till("Caisse 2")]
    for n, till in enumerate(tills):
        shop.serve(till, f"till{n + 1}", "--interval", "600")
    for till in tills:
        for _ in range(5):
            shop.run(till, "sell", "A:1")

    def settled() -> bool:
        counts = [len(shop.invoice_numbers(home)) for home in (shop.hub_home, *tills)]
        return counts == [10, 10, 10]

    deadline = time.monotonic() + 30
    while not settled():
        assert time.monotonic() < deadline, "pas convergé en 30 s"
        time.sleep(0.3)
    for home in (shop.hub_home, *tills):
        assert shop.stock(home, "A") == "90"
    for till in tills:
        done = shop.verify(till)
        assert done.returncode == 0, done.stdout + done.stderr
