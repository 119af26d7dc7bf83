"""The disaster drills (issue 16), with a served hub on PostgreSQL and tills as real
``comptoir`` processes.

1. A till restored from yesterday's backup, after it had pushed today's sales: it refuses
   to sell until it took its own documents back from the hub, then numbers after them.
2. The hub restored from a backup older than what the tills hold: the tills send again
   what it lost and pull again what they lack; ``verify`` identical everywhere.
3. A corrupt till database: refused for writes, restored, brought up to date as in 1.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.scenario.conftest import Shop
from tests.scenario.test_damaged_database import damage_a_page

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _sell(shop: Shop, till: Path, *items: str) -> str:
    return str(shop.json(till, "sell", *items)["number"])


def _chains_whole(shop: Shop, home: Path, *args: str) -> dict[tuple[str, str], object]:
    report = shop.json(home, "journal", "verify", *args)
    assert report["ok"] is True, report
    return {(c["post"], c["chain"]): (c["status"], c["count"]) for c in report["chains"]}


def _refused_to_sell(shop: Shop, till: Path, words: str) -> None:
    refused = shop.run(till, "sell", "A:1", check=False)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert words in refused.stderr, refused.stderr


def _brought_back(shop: Shop, till: Path, pushed: list[str]) -> None:
    """The restored ``till`` refuses to sell, takes its documents back at its first sync,
    then sells after the last number the hub held: nothing numbered twice, chains whole."""
    assert (till / "recovery.json").exists()
    _refused_to_sell(shop, till, "restauré depuis une sauvegarde")
    shop.sync(till)
    assert not (till / "recovery.json").exists()
    assert sorted(shop.invoice_numbers(till)) == pushed
    after = _sell(shop, till, "A:1")
    last = int(pushed[-1].rsplit("-", 1)[1])
    assert after == f"{pushed[-1].rsplit('-', 1)[0]}-{last + 1:06d}"
    shop.sync(till)
    numbers = shop.invoice_numbers(shop.hub_home)
    assert set(numbers.values()) == {1}, numbers  # no number issued twice
    assert sorted(numbers) == [*pushed, after]
    assert _chains_whole(shop, till) == _chains_whole(shop, shop.hub_home, "--post", "C1")
    shop.sync(till)  # (the verifications are technical events too)
    shop.verify(till)
    # The manager sees it: a technical event of the till, synced to the hub.
    events = shop.json(till, "journal", "events", "--kind", "integrity_alert")
    restored = [e for e in events if "restore" in json.dumps(e)]
    assert restored, events
    assert pushed[-1] in json.dumps(restored[0])


def test_drill_1_a_till_restored_from_yesterday_takes_its_sales_back_before_selling(
    shop: Shop,
) -> None:
    shop.run(shop.hub_home, "article", "add", "--code", "A", "--name", "Café", "--price", "2")
    till = shop.add_till("Caisse 1")
    first = _sell(shop, till, "A:1")
    shop.sync(till)
    yesterday = shop.json(till, "backup")["path"]
    today = [_sell(shop, till, "A:2"), _sell(shop, till, "A:3")]
    shop.sync(till)  # today's sales reached the hub
    _sell(shop, till, "A:4")  # never pushed: lost with the disk

    shop.run(till, "restore", yesterday, "--force")
    _brought_back(shop, till, [first, *today])


def test_drill_2_the_hub_restored_from_an_older_backup_gets_back_what_the_tills_hold(
    shop: Shop,
) -> None:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Café", "--price", "2")
    one, two = shop.add_till("Caisse 1"), shop.add_till("Caisse 2")
    _sell(shop, one, "A:1")
    shop.sync(one)
    backup = shop.json(hub, "backup")["path"]
    _sell(shop, one, "A:2")
    _sell(shop, two, "A:3")
    shop.run(one, "stock", "receive", "A", "10")
    # Reference data edited on a till and acknowledged, then lost with the hub's restore:
    # a price changed, a customer created.
    shop.run(one, "article", "set", "A", "--price", "2.40")
    shop.run(one, "customer", "add", "--name", "Awa Diop", "--code", "CLI-AWA")
    # What the hub's own post made after its backup, lost with its restore while the tills
    # hold copies: an article created there, a sale on its post (its series, its chains),
    # a verification (a technical event of its post).
    shop.run(hub, "article", "add", "--code", "B", "--name", "Thé", "--price", "3")
    on_hub = _sell(shop, hub, "B:1")
    assert shop.json(hub, "journal", "verify")["ok"] is True
    for till in (one, two, one):
        shop.sync(till)
    held = shop.invoice_numbers(one)
    assert len(held) == 4, held
    assert on_hub in held, held
    hub_events = _post_events(shop, one, _prefix(on_hub))
    assert any(e["kind"] == "journal_verified" for e in hub_events), hub_events

    shop.hub.stop()
    shop.run(hub, "restore", backup, "--force")
    shop.hub.start()  # it goes on under a new post of its own
    assert len(shop.invoice_numbers(hub)) == 1  # the hub went back
    assert not (hub / "hub-restored.json").exists()

    for till in (one, two, one, two):
        shop.sync(till)
    numbers = shop.invoice_numbers(hub)
    assert numbers == held, numbers  # each once, none lost, the hub's own sale too
    # The hub sells on: in its new post's series, never a number the tills hold.
    after = _sell(shop, hub, "B:1")
    assert _prefix(after) != _prefix(on_hub), after
    assert after not in held, after
    for till in (one, two):
        shop.sync(till)
    held[after] = 1
    assert shop.invoice_numbers(hub) == held
    for till in (one, two):
        assert shop.invoice_numbers(till) == held
        assert shop.stock(till, "A") == shop.stock(hub, "A")
        assert shop.stock(till, "B") == shop.stock(hub, "B")
    # Every chain whole: the old post's completed by what the tills sent back, the new
    # one's from its start; the same on the tills.
    on_the_hub = _chains_whole(shop, hub)
    for till in (one, two):
        _chains_whole(shop, till)
        shop.sync(till)  # (the verifications are technical events too)
    for till in (one, two):
        shop.sync(till)
        shop.verify(till)
    assert {post for post, _chain in on_the_hub} >= {_prefix(on_hub), _prefix(after)}
    # Its old post's events are back on it, once; its restore is an event of the new one.
    back = _post_events(shop, hub, _prefix(on_hub))
    assert [e["number"] for e in back] == sorted({e["number"] for e in hub_events}), back
    restored = _post_events(shop, hub, _prefix(after))
    assert any("hub_restore" in json.dumps(e) for e in restored), restored
    # The till sent its edits again, and the hub's own article: the hub and the other
    # till hold them.
    for home in (hub, two):
        articles = {a["code"]: a for a in shop.json(home, "article", "list", "--json")}
        assert articles["A"]["price"] in ("2.40", "2,40"), articles["A"]
        assert "B" in articles, sorted(articles)
        codes = [c["code"] for c in shop.json(home, "customer", "list", "--json")]
        assert "CLI-AWA" in codes, codes


def _prefix(number: str) -> str:
    """The post's prefix of a document number (``PREFIX-YEAR-NUMBER``)."""
    return number.rsplit("-", 2)[0]


def _post_events(shop: Shop, home: Path, prefix: str) -> list[dict[str, object]]:
    """The technical events of the post of ``prefix`` held on ``home``, by number."""
    events = shop.json(home, "journal", "events", "--till", prefix)
    return sorted(events, key=lambda e: int(str(e["number"])))


def test_drill_3_a_corrupt_till_database_is_restored_then_brought_up_to_date(
    shop: Shop,
) -> None:
    shop.run(shop.hub_home, "article", "add", "--code", "A", "--name", "Café", "--price", "2")
    till = shop.add_till("Caisse 1")
    first = _sell(shop, till, "A:1")
    shop.sync(till)
    shop.json(till, "backup")
    second = _sell(shop, till, "A:2")
    shop.sync(till)

    damage_a_page(till / "node.sqlite3", "sales_invoiceline")
    _refused_to_sell(shop, till, "endommagée")
    latest = sorted((till / "backups").glob("comptoir-node-*.zip"))[-1]
    shop.run(till, "restore", str(latest), "--force")
    assert Counter(shop.invoice_numbers(till)) == Counter([first])
    _brought_back(shop, till, [first, second])
