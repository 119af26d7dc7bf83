"""The HTTP endpoints of the protocol, through Django's test client."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from comptoir.catalogue.services import category_get_or_create
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.sync.models import EnrollmentCode, NodeCredential, ReceivedChange
from comptoir.syncengine import auth, hub
from comptoir.syncengine.protocol import MAX_BODY_BYTES, PREFIX, PROTOCOL_VERSION, SCHEMA_VERSION
from tests.factories import at, db_state, make_article
from tests.sync.helpers import fact_change

ID = "0190a6f2-8b1c-7d3e-9f40-000000000001"
VERSIONS = {"X-Comptoir-Protocol": str(PROTOCOL_VERSION), "X-Comptoir-Schema": str(SCHEMA_VERSION)}


@pytest.fixture
def node(till: Till) -> dict[str, Any]:
    make_article("PAIN", "1.20")
    code = auth.enrollment_create(name="Caisse 2")
    token, node_till = auth.enrollment_redeem(code=code, node_id="node-2")
    return {"token": token, "till": node_till}


def headers(token: str | None = None, **extra: str) -> dict[str, str]:
    out = dict(VERSIONS)
    if token is not None:
        out["Authorization"] = f"Bearer {token}"
    return {**out, **extra}


def push(client: Client, body: Any, token: str | None, **extra: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    content_type = extra.pop("content_type", "application/json")
    return client.post(
        PREFIX + "push", raw, content_type=content_type, headers=headers(token, **extra)
    )


def node_sale(node_till: Till) -> dict[str, Any]:
    sid = transaction.savepoint()
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], till=node_till, at=at(2))
    data = wire.fact_aggregates("sales.invoice", [invoice.pk])[invoice.pk]
    transaction.savepoint_rollback(sid)
    return msgspec.to_builtins(fact_change("sales.invoice", invoice.pk, data))  # type: ignore[no-any-return]


UNKNOWN = (
    "Poste non reconnu ou révoqué : sur le serveur, « comptoir hub enroll --name NOM_DU_POSTE "
    "--reenroll » donne un code, que ce poste utilise avec « comptoir node reenroll --code "
    "CODE »."
)


@pytest.mark.parametrize("token", [None, "", "faux-jeton"])
def test_push_and_pull_without_a_valid_token_are_refused(
    node: dict[str, Any], client: Client, token: str | None
) -> None:
    response = push(client, {"changes": [node_sale(node["till"])]}, token)
    assert response.status_code == 401
    assert response.json()["error"] == UNKNOWN
    assert not Invoice.objects.filter(till=node["till"]).exists()
    response = client.get(PREFIX + "pull", headers=headers(token))
    assert response.status_code == 401
    assert response.json()["error"] == UNKNOWN


def test_a_revoked_node_is_refused(node: dict[str, Any], client: Client) -> None:
    auth.node_revoke(name="Caisse 2")
    response = push(client, {"changes": []}, node["token"])
    assert (response.status_code, response.json()["error"]) == (401, UNKNOWN)
    response = client.get(PREFIX + "pull", headers=headers(node["token"]))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "versions",
    [
        {"X-Comptoir-Protocol": str(PROTOCOL_VERSION + 1)},
        {"X-Comptoir-Schema": str(SCHEMA_VERSION + 1)},
        {"X-Comptoir-Protocol": ""},
    ],
)
def test_a_node_speaking_another_version_is_told_to_update(
    node: dict[str, Any], client: Client, versions: dict[str, str]
) -> None:
    response = push(client, {"changes": [node_sale(node["till"])]}, node["token"], **versions)
    assert response.status_code == 426
    message = response.json()["error"]
    assert message.startswith("Versions incompatibles")
    assert "mettez à jour comptoir" in message
    assert not Invoice.objects.filter(till=node["till"]).exists()
    response = client.get(PREFIX + "pull", headers=headers(node["token"], **versions))
    assert response.status_code == 426
    response = client.post(
        PREFIX + "enroll", "{}", content_type="application/json", headers=headers(**versions)
    )
    assert response.status_code == 426


def test_a_push_applies_its_changes_and_answers_each_one(
    node: dict[str, Any], client: Client
) -> None:
    change = node_sale(node["till"])
    response = push(client, {"changes": [change]}, node["token"])
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [{"id": change["id"], "status": "applied", "reason": ""}]
    assert (body["protocol"], body["schema"]) == (PROTOCOL_VERSION, SCHEMA_VERSION)
    assert isinstance(body["hub_time"], int)
    assert Invoice.objects.filter(pk=change["row"]).exists()


def test_a_gzipped_push_is_read(node: dict[str, Any], client: Client) -> None:
    change = node_sale(node["till"])
    body = gzip.compress(json.dumps({"changes": [change]}).encode())
    response = push(client, body, node["token"], **{"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "applied"


def _bomb() -> bytes:
    padding = b" " * (MAX_BODY_BYTES + 1)
    return gzip.compress(b'{"changes": []' + padding + b"}", compresslevel=1)


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        (b"{pas du json", {}),
        (b'{"changes": [', {}),
        (b"[1, 2]", {}),
        (b'{"changes": [{"kind": "reference"}]}', {}),
        (b'{"changes": []}', {"content_type": "text/plain"}),
        (b'{"changes": []}', {"content_type": "application/x-www-form-urlencoded"}),
        (b"pas du gzip", {"Content-Encoding": "gzip"}),
        ("bomb", {"Content-Encoding": "gzip"}),
    ],
    ids=["garbage", "truncated", "not an object", "bad change", "text", "form", "gzip", "bomb"],
)
def test_a_malformed_push_is_a_400_and_changes_nothing(
    node: dict[str, Any], client: Client, body: Any, extra: dict[str, str]
) -> None:
    raw = _bomb() if body == "bomb" else body
    assert len(raw) < 1_000_000
    state = db_state()
    response = push(client, raw, node["token"], **extra)
    assert response.status_code == 400
    assert response.json()["error"]
    assert db_state() == state
    assert not ReceivedChange.objects.exists()


def test_a_malformed_push_mixed_with_good_changes_applies_none(
    node: dict[str, Any], client: Client
) -> None:
    good = node_sale(node["till"])
    response = push(client, {"changes": [good, {"kind": "fact"}]}, node["token"])
    assert response.status_code == 400
    assert not Invoice.objects.filter(pk=good["row"]).exists()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"changes": [{"id": "x"}]}, "changes[0] : champ « kind » manquant."),
        ({"changes": [{"kind": "fact", "id": "x"}]}, "changes[0].id : il faut un UUID."),
        (
            {"changes": [{"kind": "fact", "id": ID, "model": "sales.invoice", "row": ID}]},
            "changes[0] : champ « data » manquant.",
        ),
        ({"changes": [], "x": 1}, "champ « x » inconnu."),
        ({"changes": "tout"}, "changes : il faut une liste, pas un texte."),
    ],
)
def test_a_malformed_push_says_where_and_why_in_one_french_sentence(
    node: dict[str, Any], client: Client, body: Any, why: str
) -> None:
    """The typed decoding says the place in the body; a key the hub does not know (from
    a node of this version or the previous one) is an error, not silently dropped."""
    response = push(client, body, node["token"])
    assert (response.status_code, response.json()["error"]) == (400, f"Envoi invalide : {why}")


def test_a_value_of_twenty_two_digits_is_refused_exactly_as_sent(
    node: dict[str, Any], client: Client
) -> None:
    # read as the integer it is (never a float, never truncated), refused for the column
    sale = node_sale(node["till"])
    sale["data"]["rows"]["sales.invoice"][0]["sequence"] = 2**70
    response = push(client, {"changes": [sale]}, node["token"])
    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["reason"] == f"Valeur invalide pour sequence : « {2**70} »."


def test_pull_pages_with_a_cursor_and_a_limit(node: dict[str, Any], client: Client) -> None:
    start = hub.log_head()
    for i in range(3):
        category_get_or_create(name=f"Rayon {i}")
    auth_headers = headers(node["token"])

    first = client.get(PREFIX + "pull", {"cursor": start, "limit": 2}, headers=auth_headers)
    assert first.status_code == 200
    page = first.json()
    assert [c["data"]["fields"]["name"] for c in page["changes"]] == ["Rayon 0", "Rayon 1"]
    assert page["more"] is True
    second = client.get(
        PREFIX + "pull", {"cursor": page["cursor"], "limit": 2}, headers=auth_headers
    ).json()
    assert [c["data"]["fields"]["name"] for c in second["changes"]] == ["Rayon 2"]
    assert (second["more"], second["cursor"]) == (False, hub.log_head())
    assert second["hub_time"] > 0
    cred = NodeCredential.objects.get(node_id="node-2")
    assert cred.last_pull_at is not None


@pytest.mark.parametrize("query", [{"cursor": "x"}, {"limit": "beaucoup"}, {"wait": "1.5"}])
def test_pull_refuses_non_integer_parameters(
    node: dict[str, Any], client: Client, query: dict[str, str]
) -> None:
    response = client.get(PREFIX + "pull", query, headers=headers(node["token"]))
    assert response.status_code == 400
    assert "Paramètre entier invalide" in response.json()["error"]


def test_pull_does_not_serve_other_methods(node: dict[str, Any], client: Client) -> None:
    assert client.post(PREFIX + "pull", headers=headers(node["token"])).status_code == 405
    assert client.get(PREFIX + "push", headers=headers(node["token"])).status_code == 405


# --- enrollment -------------------------------------------------------------------------


def enroll(client: Client, code: str, node_id: str = "node-9") -> Any:
    body = {"code": code, "node_id": node_id, "version": "0.1.0"}
    return client.post(
        PREFIX + "enroll", json.dumps(body), content_type="application/json", headers=headers()
    )


def test_enrolling_with_a_code_gives_a_token_and_a_till_bound_to_the_node(
    till: Till, client: Client
) -> None:
    code = auth.enrollment_create(name="Caisse 9", prefix="C9")
    response = enroll(client, code)
    assert response.status_code == 200
    body = response.json()
    new_till = Till.objects.get(pk=body["till"]["id"])
    assert (new_till.node_id, new_till.prefix, new_till.store_id) == ("node-9", "C9", till.store_id)
    assert body["store"] == {"id": str(till.store_id), "name": till.store.name, "currency": "EUR"}
    cred = auth.credential_for(body["token"])
    assert cred is not None
    assert cred.node_id == "node-9"
    assert body["token"] not in {cred.token_hash}
    pulled = client.get(PREFIX + "pull", headers=headers(body["token"]))
    assert pulled.status_code == 200


def test_an_enrollment_of_the_wrong_shape_says_why_and_is_not_counted(
    till: Till, client: Client
) -> None:
    response = client.post(
        PREFIX + "enroll",
        json.dumps({"code": 1234, "node_id": "node-9"}),
        content_type="application/json",
        headers=headers(),
    )
    assert (response.status_code, response.json()["error"]) == (
        400,
        "Requête d'enrôlement invalide : code : il faut un texte, pas un entier.",
    )
    assert not NodeCredential.objects.exists()


def test_a_code_works_only_once(till: Till, client: Client) -> None:
    code = auth.enrollment_create(name="Caisse 9")
    assert enroll(client, code).status_code == 200
    response = enroll(client, code, node_id="node-10")
    assert response.status_code == 403
    assert response.json()["error"] == "Code d'enrôlement inconnu, déjà utilisé ou expiré."
    assert not NodeCredential.objects.filter(node_id="node-10").exists()


def test_an_expired_or_unknown_code_is_refused(till: Till, client: Client) -> None:
    code = auth.enrollment_create(name="Caisse 9")
    EnrollmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert enroll(client, code).status_code == 403
    assert enroll(client, "AAAA-BBBB-CCCC-DDDD").status_code == 403
    assert not NodeCredential.objects.exists()
    assert not Till.objects.filter(name="Caisse 9").exists()


@pytest.mark.parametrize("node_id", ["", "x" * 37])
def test_an_enrollment_without_a_usable_node_id_is_refused(
    till: Till, client: Client, node_id: str
) -> None:
    code = auth.enrollment_create(name="Caisse 9")
    response = enroll(client, code, node_id=node_id)
    assert response.status_code in (400, 403)
    assert not NodeCredential.objects.exists()
    assert EnrollmentCode.objects.get().used_at is None


def test_a_node_already_enrolled_cannot_enroll_again(node: dict[str, Any], client: Client) -> None:
    code = auth.enrollment_create(name="Caisse 9")
    response = enroll(client, code, node_id="node-2")
    assert response.status_code == 403
    assert response.json()["error"] == (
        "Ce poste est déjà enrôlé (« Caisse 2 ») : pour lui redonner l'accès, demandez un code "
        'avec « comptoir hub enroll --name "Caisse 2" --reenroll ».'
    )


def test_a_malformed_enrollment_is_a_400(till: Till, client: Client) -> None:
    response = client.post(
        PREFIX + "enroll", "[]", content_type="application/json", headers=headers()
    )
    assert response.status_code == 400
    assert not NodeCredential.objects.exists()


def test_a_pull_tells_the_hub_the_node_s_outbox_and_version(
    client: Client, node: dict[str, Any]
) -> None:
    """What the hub's sync page shows for each till: its pending changes and version."""
    from comptoir.sync.models import NodeCredential

    url = PREFIX + "pull"
    ok = client.get(url, {"cursor": 0, "pending": 37}, headers=headers(node["token"]))
    assert ok.status_code == 200
    cred = NodeCredential.objects.get(node_id="node-2")
    assert cred.pending_count == 37
    assert cred.pending_at is not None
    client.get(
        url,
        {"cursor": 0},
        headers=headers(node["token"], **{"User-Agent": "comptoir/9.8.7"}),
    )
    cred.refresh_from_db()
    assert (cred.pending_count, cred.version) == (37, "9.8.7")  # no figure: kept
    bad = client.get(url, {"pending": "beaucoup"}, headers=headers(node["token"]))
    assert bad.status_code == 400


def test_a_push_tells_the_hub_the_node_s_outbox_once_drained(
    client: Client, node: dict[str, Any]
) -> None:
    from comptoir.sync.models import NodeCredential

    NodeCredential.objects.filter(node_id="node-2").update(pending_count=37)
    assert push(client, {"changes": []}, node["token"]).status_code == 200
    assert NodeCredential.objects.get(node_id="node-2").pending_count == 37  # not said: kept
    url = PREFIX + "push?pending=0"
    ok = client.post(
        url, {"changes": []}, content_type="application/json", headers=headers(node["token"])
    )
    assert ok.status_code == 200, ok.content
    assert NodeCredential.objects.get(node_id="node-2").pending_count == 0
    bad = client.post(
        PREFIX + "push?pending=x",
        {"changes": []},
        content_type="application/json",
        headers=headers(node["token"]),
    )
    assert bad.status_code == 400
