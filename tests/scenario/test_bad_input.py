"""Scenario 6: bad input against the running hub, over real HTTP (DESIGN §6).

Forged or missing credentials get 401; a node writing outside its store or its own
invoice series, or altering a fact, is refused change by change; malformed, oversized or
future-versioned bodies get a clear 4xx. In every case nothing is applied: the hub's
facts, change log and idempotency records are the same before and after.
"""

from __future__ import annotations

import copy
import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from comptoir.syncengine.protocol import MAX_BODY_BYTES, MAX_PUSH_CHANGES, PREFIX
from comptoir.syncengine.protocol import PROTOCOL_VERSION as PROTOCOL
from comptoir.syncengine.protocol import SCHEMA_VERSION as SCHEMA
from tests.scenario.conftest import STORE, Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

HUB_STATE = """
from comptoir.sales.models import Invoice
from comptoir.stock.models import InventoryCount, StockMovement
from comptoir.sync.models import ChangeLog, ConflictLog, ReceivedChange
from comptoir.stores.models import Store, Till
from comptoir.catalogue.models import Article
out = {
    "invoices": sorted(Invoice.objects.values_list("number", flat=True)),
    "movements": StockMovement.objects.count(),
    "counts": InventoryCount.objects.count(),
    # the hub's own technical events (an integrity alert per refused fact) left out
    "log": ChangeLog.objects.exclude(model="events.technicalevent").count(),
    "received": ReceivedChange.objects.count(),
    "conflicts": ConflictLog.objects.count(),
    "tills": sorted(Till.objects.values_list("prefix", "name", "node_id")),
    "stores": sorted(Store.objects.values_list("name", "currency")),
    "articles": sorted(Article.objects.values_list("code", "name", "sale_price")),
}
"""

WIRE_STATE = """
from comptoir.sync import wire
from comptoir.sync.registry import reference_spec
model = reference_spec({label!r}) and reference_spec({label!r}).model
if model is None:
    from django.apps import apps
    model = apps.get_model({label!r})
obj = model._default_manager.filter(**{lookup!r}).order_by("-pk").first()
kind, data = wire.states([({label!r}, obj.pk)])[({label!r}, obj.pk)]
out = {{"row": str(obj.pk), "kind": kind, "data": data}}
"""


def wire_state(shop: Shop, home: Path, label: str, **lookup: Any) -> dict[str, Any]:
    """The wire form of one row as its home would push it (read through ``comptoir shell``)."""
    return dict(shop.shell(home, WIRE_STATE.format(label=label, lookup=lookup)))


def change(label: str, state: dict[str, Any]) -> dict[str, Any]:
    """A push change with a fresh change id."""
    return {
        "id": str(uuid.uuid4()),
        "model": label,
        "row": state["row"],
        "kind": state["kind"],
        "data": state["data"],
    }


class Hub:
    """Raw HTTP to the hub's sync API."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url + PREFIX, timeout=60)

    def headers(self, token: str | None, **extra: str) -> dict[str, str]:
        """Current versions and ``Bearer TOKEN`` (or, if it has a space, ``token`` as is)."""
        headers = {"X-Comptoir-Protocol": str(PROTOCOL), "X-Comptoir-Schema": str(SCHEMA)}
        if token is not None:
            headers["Authorization"] = token if " " in token else f"Bearer {token}"
        headers.update(extra)
        return headers

    def push_raw(self, token: str | None, body: bytes, **headers: str) -> httpx.Response:
        headers.setdefault("Content-Type", "application/json")
        return self.http.post("push", content=body, headers=self.headers(token, **headers))

    def push(self, token: str | None, changes: list[dict[str, Any]]) -> httpx.Response:
        return self.push_raw(token, json.dumps({"changes": changes}).encode())

    def pull(self, token: str | None, **headers: str) -> httpx.Response:
        return self.http.get("pull", params={"cursor": 0}, headers=self.headers(token, **headers))


@pytest.fixture
def world(shop: Shop) -> Iterator[tuple[Shop, Path, Path, Hub]]:
    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "40")
    t1, t2 = shop.add_till("Caisse 1"), shop.add_till("Caisse 2")
    client = Hub(shop.hub.url)
    yield shop, t1, t2, client
    client.http.close()


def test_credentials_versions_and_malformed_bodies_are_refused_and_change_nothing(
    world: tuple[Shop, Path, Path, Hub],
) -> None:
    shop, t1, _t2, hub = world
    token = shop.token(t1)
    shop.run(t1, "sell", "A:10")
    own = wire_state(shop, t1, "sales.invoice", number__startswith="C1-")
    valid = [change("sales.invoice", own)]
    before = shop.shell(shop.hub_home, HUB_STATE)

    # Missing, forged or revoked credential: 401, with a French message.
    revoked_home = shop.add_till("Caisse révoquée")
    revoked = shop.token(revoked_home)
    shop.run(shop.hub_home, "hub", "revoke", "Caisse révoquée")
    before = shop.shell(shop.hub_home, HUB_STATE)
    for bad in (None, "n'importe-quoi", token[:-2] + "xx", f"Token {token}", "Basic YTpi", revoked):
        for response in (hub.push(bad, valid), hub.pull(bad)):
            assert response.status_code == 401, (bad, response.text)
            assert "Poste non reconnu" in response.json()["error"]
    # ...and the till whose token it was cannot sync any more.
    failed = shop.run(revoked_home, "sync", check=False)
    assert failed.returncode != 0
    assert "Poste non reconnu" in failed.stderr

    # Versions from the future: 426 and a French message telling what to update.
    for headers in (
        {"X-Comptoir-Protocol": str(PROTOCOL + 1)},
        {"X-Comptoir-Schema": str(SCHEMA + 1)},
    ):
        pushed = hub.push_raw(token, json.dumps({"changes": valid}).encode(), **headers)
        pulled = hub.pull(token, **headers)
        for response in (pushed, pulled):
            assert response.status_code == 426, response.text
            message = response.json()["error"]
            assert "Versions incompatibles" in message
            assert "mettez à jour" in message
            # The answer still says which versions the hub speaks.
            assert (response.json()["protocol"], response.json()["schema"]) == (PROTOCOL, SCHEMA)

    # Malformed and oversized bodies: 4xx with a reason; nothing applied.
    bomb = gzip.compress(b'{"changes": [' + b" " * (MAX_BODY_BYTES + 1024) + b"]}")
    too_many = [change("sales.invoice", own) for _ in range(MAX_PUSH_CHANGES + 1)]
    bad_bodies: list[tuple[str, bytes, dict[str, str]]] = [
        ("JSON invalide", b'{"changes": [', {}),
        ("pas un objet", b"[1, 2, 3]", {}),
        ("changement incomplet", json.dumps({"changes": [{"id": "x"}]}).encode(), {}),
        (
            "type de contenu",
            json.dumps({"changes": valid}).encode(),
            {"Content-Type": "text/plain"},
        ),
        ("gzip illisible", b"\x1f\x8b pas du gzip", {"Content-Encoding": "gzip"}),
        ("bombe gzip", bomb, {"Content-Encoding": "gzip"}),
        ("trop gros", b'{"changes": [], "x": "' + b"x" * (17 * 1024 * 1024) + b'"}', {}),
        ("trop de changements", json.dumps({"changes": too_many}).encode(), {}),
    ]
    for what, body, headers in bad_bodies:
        response = hub.push_raw(token, body, **headers)
        assert 400 <= response.status_code < 500, (what, response.status_code, response.text)
        assert response.status_code != 401, what
        if response.headers.get("content-type", "").startswith("application/json"):
            assert response.json().get("error"), what

    assert shop.shell(shop.hub_home, HUB_STATE) == before
    # After all that, the genuine push of the till goes through, once.
    shop.sync(t1)
    assert shop.invoice_numbers(shop.hub_home) == shop.invoice_numbers(t1)
    assert shop.stock(shop.hub_home, "A") == "30"


def test_a_node_cannot_write_another_series_another_store_or_alter_a_fact(
    world: tuple[Shop, Path, Path, Hub],
) -> None:
    shop, t1, t2, hub = world
    hub_home = shop.hub_home
    other_store = shop.shell(
        hub_home,
        "from comptoir.stores.services import store_get_or_create\n"
        "out = str(store_get_or_create(name='Autre magasin', currency='EUR').pk)\n",
    )
    token = shop.token(t1)
    shop.run(t1, "sell", "A:1")
    shop.sync(t1)  # C1's first invoice is on the hub; t1 now also knows till 2's row
    shop.run(t2, "sell", "A:2")  # C2's first invoice, not synced
    shop.run(t1, "stock", "receive", "A", "7")  # a standalone movement, not synced
    before = shop.shell(hub_home, HUB_STATE)

    c1 = wire_state(shop, t1, "sales.invoice", number__startswith="C1-")
    c2 = wire_state(shop, t2, "sales.invoice", number__startswith="C2-")
    receipt = wire_state(shop, t1, "stock.stockmovement", kind="receipt", invoice=None)
    forged: dict[str, dict[str, Any]] = {}

    # 1. Another till's invoice, pushed by till 1, altered: a till may relay another post's
    # record as that post signed it (a restored hub gets its records back so), never changed.
    relayed = copy.deepcopy(c2)
    relayed["data"]["rows"]["sales.invoice"][0]["total_incl_tax"] += 1
    forged["série d'une autre caisse, modifiée"] = change("sales.invoice", relayed)
    # 2. Till 1's own series, but numbered as till 2's (C2-...), with new ids.
    renumbered = copy.deepcopy(c1)
    _new_ids(renumbered)
    root = renumbered["data"]["rows"]["sales.invoice"][0]
    root["number"] = root["number"].replace("C1-", "C2-", 1).replace("000001", "000999")
    forged["numéro d'une autre série"] = change("sales.invoice", renumbered)
    # 3. A new invoice of till 1, in another store.
    elsewhere = copy.deepcopy(c1)
    _new_ids(elsewhere)
    root = elsewhere["data"]["rows"]["sales.invoice"][0]
    root["number"] = root["number"].replace("000001", "000998")
    for rows in elsewhere["data"]["rows"].values():
        for row in rows:
            if "store_id" in row:
                row["store_id"] = other_store
    forged["autre magasin (facture)"] = change("sales.invoice", elsewhere)
    # 4. A stock receipt in another store.
    moved = copy.deepcopy(receipt)
    moved["data"]["rows"]["stock.stockmovement"][0]["store_id"] = other_store
    forged["autre magasin (stock)"] = change("stock.stockmovement", moved)
    # 5. An invoice the hub already has, altered (facts are immutable): new total.
    altered = copy.deepcopy(c1)
    altered["data"]["rows"]["sales.invoice"][0]["total_incl_tax"] += 100
    forged["facture modifiée"] = change("sales.invoice", altered)
    # 6-8. Reference rows that decide what a node may write: stores and tills are managed
    # on the hub. Stamped with a clock that would win (later, within the skew tolerance).
    for what, label, lookup, field, value in (
        ("préfixe d'une autre caisse", "core.till", {"prefix": "C2"}, "prefix", "PIRATE"),
        ("sa caisse dans une autre série", "core.till", {"prefix": "C1"}, "prefix", "C2"),
        ("devise du magasin", "core.store", {"name": STORE}, "currency", "XOF"),
    ):
        state = wire_state(shop, t1, label, **lookup)
        state["data"]["fields"][field] = value
        state["data"]["clocks"][field] = _later(state["data"]["clocks"])
        forged[what] = change(label, state)

    response = hub.push(token, list(forged.values()))
    assert response.status_code == 200, response.text
    results = {r["id"]: r for r in response.json()["results"]}
    for what, ch in forged.items():
        result = results[ch["id"]]
        assert result["status"] == "rejected", (what, result)
        assert result["reason"], what
        print(f"  {what} : refusé — {result['reason']}")

    # DESIGN §6: a node writes only within its store and its own series, and cannot alter
    # facts. Nothing of it applied: no invoice, movement, log entry, idempotency record,
    # and tills and stores unchanged.
    assert shop.shell(hub_home, HUB_STATE) == before
    assert shop.stock(hub_home, "A") == "39"
    # A rejected change id is not remembered: till 2's own push of its invoice still works.
    shop.sync(t2)
    shop.sync(t1)
    numbers = shop.invoice_numbers(hub_home)
    assert sorted(n[:2] for n in numbers) == ["C1", "C2"]
    assert set(numbers.values()) == {1}
    assert shop.stock(hub_home, "A") == shop.stock(t1, "A") == "44"  # 40 - 1 - 2 + 7


def _new_ids(state: dict[str, Any]) -> None:
    """Give a copied invoice aggregate fresh row ids (root and parts), consistently."""
    new_root = str(uuid.uuid4())
    for label, items in state["data"]["rows"].items():
        for row in items:
            row["id"] = new_root if label == "sales.invoice" else str(uuid.uuid4())
            if row.get("invoice_id") is not None:
                row["invoice_id"] = new_root
    state["row"] = new_root


def _later(clocks: dict[str, str]) -> str:
    """An HLC stamp later than every clock given (same encoding, wall time + 1 s)."""
    from comptoir.sync.hlc import Timestamp

    latest = max(Timestamp.decode(c) for c in clocks.values())
    return Timestamp(latest.wall_ms + 1000, 0, latest.node).encode()
