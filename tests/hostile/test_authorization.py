"""Who may write what (DESIGN §6): each forgery is refused with a clear reason and nothing
of it is applied. ``tests/sync/test_views.py`` already covers a missing, empty or unknown
token and a revoked one on push and pull; here: the other header forms, digest, other
stores, other series, replays and altered facts."""

from __future__ import annotations

import copy
import secrets
import uuid
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from django.db import transaction

from comptoir.sales.models import Invoice
from comptoir.stock.models import StockLevel, StockMovement
from comptoir.stock.services import stock_count, stock_receive
from comptoir.sync import wire
from comptoir.sync.models import ReceivedChange
from comptoir.syncengine import auth
from tests.hostile.conftest import Api, Node, change, sale, sales, snapshot

UNKNOWN = (
    "Poste non reconnu ou révoqué : sur le serveur, « comptoir hub enroll --name NOM_DU_POSTE "
    "--reenroll » donne un code, que ce poste utilise avec « comptoir node reenroll --code "
    "CODE »."
)


def header_forms(token: str) -> dict[str, str]:
    return {
        "scheme only": "Bearer",
        "scheme and space": "Bearer ",
        "two spaces": f"Bearer  {token}",
        "lower-case scheme": f"bearer {token}",
        "Token scheme": f"Token {token}",
        "Basic": "Basic bm9kZS0yOnNlY3JldA==",
        "trailing garbage": f"Bearer {token}x",
        "truncated": f"Bearer {token[:-1]}",
        "hash of the token": f"Bearer {auth._hash(token)}",
        "two tokens": f"Bearer {token}, Bearer {token}",
        "forged": f"Bearer {secrets.token_urlsafe(32)}",
        "very long": "Bearer " + "A" * 100_000,
        "latin-1": "Bearer café",
    }


@pytest.mark.parametrize("form", list(header_forms("x")))
def test_a_garbled_or_forged_authorization_header_is_a_401_on_every_endpoint(
    api: Api, node: Node, form: str
) -> None:
    header = header_forms(node.token)[form]
    before = snapshot()
    headers = {"Authorization": header}
    pushed = api.push(None, {"changes": [sale(node.till)]}, **headers)
    pulled = api.client.get("/api/sync/v1/pull", headers={**api.headers(None), **headers})
    digest = api.client.get("/api/sync/v1/digest", headers={**api.headers(None), **headers})
    for response in (pushed, api.check("pull", "get", pulled), api.check("digest", "get", digest)):
        assert (response.status_code, response.json()["error"]) == (401, UNKNOWN), form
    assert snapshot() == before


def test_a_revoked_node_cannot_read_digests_either(api: Api, node: Node) -> None:
    assert api.digest(node.token).status_code == 200
    auth.node_revoke(name="Caisse 2")
    assert api.digest(node.token).status_code == 401
    assert api.pull(node.token, {"wait": 30}).status_code == 401  # at once, no long poll


def test_version_headers_are_checked_before_credentials(api: Api, node: Node) -> None:
    """An old node learns it must update, not that it was revoked."""
    response = api.push("forged", {"changes": []}, **{"X-Comptoir-Schema": "0"})
    assert response.status_code == 426


# --- another store, another series -------------------------------------------------------


def _rejected(api: Api, node: Node, changes: list[dict[str, Any]]) -> list[str]:
    before = snapshot()
    response = api.push(node.token, {"changes": changes})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * len(changes), results
    after = snapshot()
    assert after == before
    return [r["reason"] for r in results]


def _reassign(state: dict[str, Any], **values: Any) -> dict[str, Any]:
    """The change with every row's ``values`` replaced (where the row has the field)."""
    state = copy.deepcopy(state)
    for rows in state["data"]["rows"].values():
        for row in rows:
            row.update({k: v for k, v in values.items() if k in row})
    return state


def test_a_node_cannot_push_an_invoice_into_another_store(
    api: Api, node: Node, stranger: Node
) -> None:
    own = sale(stranger.till)
    forged = _reassign(own, store_id=str(node.store.pk))
    (reason,) = _rejected(api, stranger, [forged])
    assert reason == "Ce poste ne peut envoyer que les documents de sa propre caisse."


def test_a_node_cannot_push_another_till_s_invoices(api: Api, node: Node, stranger: Node) -> None:
    from comptoir.stores.models import Till

    hub_till = Till.objects.get(prefix="C1")
    # Another till's sale (same store): a till may relay it as its post signed it (a hub
    # restored from an older backup gets its records back so), never altered...
    other_series = sale(hub_till)
    other_series["data"]["rows"]["sales.invoice"][0]["total_incl_tax"] += 1
    # ... nor another store's.
    elsewhere = sale(stranger.till)
    renumbered = copy.deepcopy(sale(node.till, day=3))
    root = renumbered["data"]["rows"]["sales.invoice"][0]
    root["number"] = root["number"].replace("C2-", "C1-", 1)
    reasons = _rejected(api, node, [other_series, elsewhere, renumbered])
    assert reasons[0] == "Enregistrement relayé d'un autre poste altéré : refusé."
    assert reasons[1] == "Ce poste ne peut envoyer que les documents de sa propre caisse."
    assert reasons[2].startswith("Numéro hors de la série de ce poste : C1-")


def _standalone(label: str, make: Any) -> dict[str, Any]:
    sid = transaction.savepoint()
    obj = make()
    kind, data = wire.states([(label, obj.pk)])[(label, obj.pk)]
    transaction.savepoint_rollback(sid)
    return change(label, obj.pk, kind, data)


def test_a_node_cannot_write_stock_of_another_store(api: Api, node: Node, stranger: Node) -> None:
    receipt = _standalone(
        "stock.stockmovement",
        lambda: stock_receive(article="PAIN", quantity=500, store=node.store.name),
    )
    count = _standalone(
        "stock.inventorycount",
        lambda: stock_count(article="PAIN", quantity=0, store=node.store.name),
    )
    reasons = _rejected(api, stranger, [receipt, count])
    assert set(reasons) == {"Ce poste n'écrit que dans le stock de son magasin."}


def test_a_node_cannot_move_another_store_s_stock_inside_its_own_invoice(
    api: Api, node: Node, stranger: Node
) -> None:
    own = sale(stranger.till, ("PAIN", 1))
    movements = own["data"]["rows"]["stock.stockmovement"]
    assert movements, "a sale moves stock"
    for movement in movements:
        movement["store_id"] = str(node.store.pk)
        movement["quantity"] = "-1000"
    before = StockLevel.objects.filter(store=node.store).values_list("quantity", flat=True).first()
    response = api.push(stranger.token, {"changes": [own]})
    assert response.json()["results"][0]["status"] == "rejected"
    assert not StockMovement.objects.filter(store=node.store, quantity=Decimal(-1000)).exists()
    after = StockLevel.objects.filter(store=node.store).values_list("quantity", flat=True).first()
    assert after == before


def test_a_node_cannot_edit_stores_or_tills(api: Api, node: Node, stranger: Node) -> None:
    from comptoir.sync.clock import wall_ms
    from tests.sync.helpers import reference_change, stamp

    later = wall_ms() + 1000  # wins every clock, within the skew tolerance
    mine = reference_change(stranger.till, store_id=node.store.pk)
    mine.data.clocks["store_id"] = stamp(later, "node-9")
    theirs = reference_change(node.store, name="Pris")
    theirs.data.clocks["name"] = stamp(later, "node-9")
    new_store = reference_change(node.store, name="Nouveau")
    new_id = str(uuid.uuid4())
    new_store.row = new_store.data.fields["id"] = new_id
    changes = [msgspec.to_builtins(c) for c in (mine, theirs, new_store)]
    reasons = _rejected(api, stranger, changes)
    assert set(reasons) == {"Les magasins et les caisses se modifient sur le serveur seulement."}


# --- replays and altered facts -----------------------------------------------------------


def test_replaying_a_push_answers_duplicate_and_writes_nothing_more(api: Api, node: Node) -> None:
    changes = sales(node.till, [("PAIN", 1)], [("LAIT", 3)])
    first = api.push(node.token, {"changes": changes}).json()["results"]
    assert [r["status"] for r in first] == ["applied", "applied"]
    state = snapshot()
    for _attempt in range(3):
        again = api.push(node.token, {"changes": changes}).json()["results"]
        assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    # The same documents under new change ids (a node that lost its outbox flags): still
    # one copy of each, answered duplicate.
    fresh = [{**c, "id": str(uuid.uuid4())} for c in changes]
    renewed = api.push(node.token, {"changes": fresh}).json()["results"]
    assert [r["status"] for r in renewed] == ["duplicate", "duplicate"]
    after = snapshot()
    assert after.pop("received") == state.pop("received") + 2
    assert after == state
    assert Invoice.objects.filter(till=node.till).count() == 2


def _tamper(change: dict[str, Any], how: str) -> dict[str, Any]:
    tampered = copy.deepcopy(change)
    rows = tampered["data"]["rows"]
    root, line = rows["sales.invoice"][0], rows["sales.invoiceline"][0]
    if how == "total":
        root["total_incl_tax"] = int(root["total_incl_tax"]) - 100
    elif how == "line amount":
        line["total_incl_tax"] = int(line["total_incl_tax"]) + 1
    elif how == "line quantity":
        line["quantity"] = str(Decimal(line["quantity"]) * 10)
    elif how == "line dropped":
        rows["sales.invoiceline"] = rows["sales.invoiceline"][1:]
    elif how == "line added":
        extra = {**line, "id": str(uuid.uuid4()), "position": int(line["position"]) + 10}
        rows["sales.invoiceline"].append(extra)
    elif how == "payment":
        rows["sales.payment"][0]["amount"] = int(rows["sales.payment"][0]["amount"]) - 1
    elif how == "customer":
        root["customer_name"] = "Quelqu'un d'autre"
    elif how == "chain hash":
        root["chain_hash"] = "0" * 64
    tampered["id"] = str(uuid.uuid4())
    return tampered


TAMPERINGS = [
    "total",
    "line amount",
    "line quantity",
    "line dropped",
    "line added",
    "payment",
    "customer",
    "chain hash",
]


def test_an_altered_copy_of_a_validated_invoice_is_refused_and_the_original_kept(
    api: Api, node: Node
) -> None:
    original = sale(node.till, ("PAIN", 2), ("LAIT", 1))
    assert api.push(node.token, {"changes": [original]}).json()["results"][0]["status"] == (
        "applied"
    )
    pk = uuid.UUID(original["row"])
    stored = wire.fact_aggregates("sales.invoice", [pk])[pk]
    state = snapshot()
    tampered = [_tamper(original, how) for how in TAMPERINGS]
    reasons = _rejected(api, node, tampered)
    assert set(reasons) == {"Ce document existe déjà avec un autre contenu : refusé."}
    assert wire.fact_aggregates("sales.invoice", [pk])[pk] == stored
    assert snapshot() == state
    # Under the original change id, an altered copy is a retry: acknowledged, not applied.
    retry = {**_tamper(original, "total"), "id": original["id"]}
    result = api.push(node.token, {"changes": [retry]}).json()["results"][0]
    assert result["status"] == "duplicate"
    assert wire.fact_aggregates("sales.invoice", [pk])[pk] == stored


def test_a_change_id_taken_by_another_node_does_not_swallow_a_sale(
    api: Api, node: Node, stranger: Node
) -> None:
    victim = sale(node.till)
    squatter = {**sale(stranger.till), "id": victim["id"]}
    assert api.push(stranger.token, {"changes": [squatter]}).json()["results"][0]["status"] == (
        "applied"
    )
    result = api.push(node.token, {"changes": [victim]}).json()["results"][0]
    assert Invoice.objects.filter(pk=victim["row"]).exists(), result
    assert ReceivedChange.objects.filter(node_id="node-2").exists()
