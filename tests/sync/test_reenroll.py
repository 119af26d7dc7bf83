"""Re-enrolling a post (``hub enroll --reenroll``): a code bound to that post gives it a new
token and keeps its till, series and data; every other use of the code changes nothing.
The whole path with real processes is in ``tests/scenario/test_reenroll.py``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.db import connections
from django.test import Client
from django.utils import timezone

from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.sales.models import Invoice
from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync.models import EnrollmentCode, NodeCredential
from comptoir.syncengine import auth
from comptoir.syncengine.protocol import PREFIX
from tests.factories import make_article
from tests.sync.test_views import headers, node_sale, push

USED = "Code d'enrôlement inconnu, déjà utilisé ou expiré."


@pytest.fixture
def node(till: Till) -> dict[str, Any]:
    """Till "Caisse 2" (node-2, prefix C2), enrolled, then revoked."""
    make_article("PAIN", "1.20")
    code = auth.enrollment_create(name="Caisse 2")
    token, node_till = auth.enrollment_redeem(code=code, node_id="node-2")
    auth.node_revoke(name="Caisse 2")
    return {"token": token, "till": node_till}


def redeem(client: Client, code: str, node_id: str, **extra: Any) -> Any:
    body = {"code": code, "node_id": node_id, "version": "0.1.0", **extra}
    return client.post(
        PREFIX + "enroll", json.dumps(body), content_type="application/json", headers=headers()
    )


def credential_state() -> list[tuple[Any, ...]]:
    return list(
        NodeCredential.objects.order_by("pk").values_list(
            "node_id", "token_hash", "revoked_at", "till_id", "name"
        )
    )


def test_a_reenrollment_code_gives_the_same_post_a_new_token(
    node: dict[str, Any], client: Client
) -> None:
    tills = set(Till.objects.values_list("pk", "prefix", "node_id"))
    code = auth.reenrollment_create(name="Caisse 2")
    response = redeem(client, code, "node-2", reenroll=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["till"] == {"id": str(node["till"].pk), "name": "Caisse 2", "prefix": "C2"}
    # Same post, same till and series: no till was made, the revocation is lifted, and
    # the hub keeps only the new token's hash.
    assert set(Till.objects.values_list("pk", "prefix", "node_id")) == tills
    cred = NodeCredential.objects.get(pk="node-2")
    assert cred.revoked_at is None
    assert cred.token_hash == auth._hash(body["token"])
    assert body["token"] not in json.dumps(list(NodeCredential.objects.values()), default=str)
    assert auth.credential_for(node["token"]) is None
    assert client.get(PREFIX + "pull", headers=headers(node["token"])).status_code == 401
    # The post's own invoices (series C2) are accepted with the new token.
    sale = node_sale(node["till"])
    pushed = push(client, {"changes": [sale]}, body["token"])
    assert [r["status"] for r in pushed.json()["results"]] == ["applied"], pushed.content
    assert Invoice.objects.filter(till=node["till"]).count() == 1


def test_a_post_that_lost_its_token_without_being_revoked_is_reenrolled_too(
    till: Till, client: Client
) -> None:
    token, _till = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 3"), node_id="node-3"
    )
    code = auth.reenrollment_create(name="Caisse 3")
    response = redeem(client, code, "node-3", reenroll=True)
    assert response.status_code == 200, response.content
    assert auth.credential_for(token) is None
    assert auth.credential_for(response.json()["token"]) is not None


def test_a_reenrollment_code_redeemed_by_another_post_is_refused_and_changes_nothing(
    node: dict[str, Any], client: Client
) -> None:
    auth.enrollment_redeem(code=auth.enrollment_create(name="Caisse X"), node_id="node-x")
    code = auth.reenrollment_create(name="Caisse 2")
    before, tills = credential_state(), Till.objects.count()
    # A post the hub does not know, or another enrolled one; through ``node reenroll``
    # (reenroll: true) or ``node init`` (a new home).
    for node_id in ("node-9", "node-x"):
        for extra in ({}, {"reenroll": True}):
            response = redeem(client, code, node_id, **extra)
            assert response.status_code == 403
            assert response.json()["error"] == (
                "Ce code ré-enrôle un autre poste (« Caisse 2 ») : demandez au serveur un code "
                "pour celui-ci."
            )
    assert credential_state() == before
    assert Till.objects.count() == tills
    # ...and the code still works for its own post.
    assert EnrollmentCode.objects.get(node="node-2").used_at is None
    assert redeem(client, code, "node-2", reenroll=True).status_code == 200


def test_a_reenrollment_code_works_once(node: dict[str, Any], client: Client) -> None:
    code = auth.reenrollment_create(name="Caisse 2")
    first = redeem(client, code, "node-2", reenroll=True)
    assert first.status_code == 200
    after = credential_state()
    again = redeem(client, code, "node-2", reenroll=True)
    assert (again.status_code, again.json()["error"]) == (403, USED)
    assert credential_state() == after
    assert auth.credential_for(first.json()["token"]) is not None


def test_an_expired_reenrollment_code_is_refused(node: dict[str, Any], client: Client) -> None:
    code = auth.reenrollment_create(name="Caisse 2")
    EnrollmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    before = credential_state()
    response = redeem(client, code, "node-2", reenroll=True)
    assert (response.status_code, response.json()["error"]) == (403, USED)
    assert credential_state() == before


def test_a_new_reenrollment_code_voids_the_previous_one(
    node: dict[str, Any], client: Client
) -> None:
    old = auth.reenrollment_create(name="Caisse 2")
    new = auth.reenrollment_create(name="Caisse 2")
    assert redeem(client, old, "node-2", reenroll=True).status_code == 403
    assert redeem(client, new, "node-2", reenroll=True).status_code == 200


def test_reenrolling_refused_codes_count_towards_the_address_limit(
    node: dict[str, Any], client: Client
) -> None:
    code = auth.reenrollment_create(name="Caisse 2")
    for _ in range(10):
        assert redeem(client, code, "node-9", reenroll=True).status_code == 403
    assert redeem(client, code, "node-2", reenroll=True).status_code == 429


def test_a_post_asking_to_be_reenrolled_is_never_made_a_new_till(
    till: Till, client: Client
) -> None:
    """``node reenroll`` with a new-till code, from a post the hub does not know (a till
    that was never enrolled, or with another hub): refused, no till made, code kept."""
    code = auth.enrollment_create(name="Caisse 5")
    response = redeem(client, code, "node-5", reenroll=True)
    assert response.status_code == 403
    assert "ne peut pas être ré-enrôlé" in response.json()["error"]
    assert not NodeCredential.objects.exists()
    assert not Till.objects.filter(name="Caisse 5").exists()
    assert EnrollmentCode.objects.get().used_at is None


def test_reenrolling_an_unknown_name_is_refused(node: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError, match="Aucun poste enrôlé nommé « Caisse 7 »"):
        auth.reenrollment_create(name="Caisse 7")
    # The hub's own till has no credential: it is not a post that enrolls.
    with pytest.raises(NotFoundError):
        auth.reenrollment_create(name="Caisse 1")
    assert not EnrollmentCode.objects.filter(used_at=None).exists()


def test_two_posts_of_one_name_in_two_stores_need_the_store(node: dict[str, Any]) -> None:
    other: Store = store_get_or_create(name="Boutique du quai", currency="EUR")
    auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2", store=other.name), node_id="node-q"
    )
    with pytest.raises(ValidationError, match="précisez le magasin avec --store"):
        auth.reenrollment_create(name="Caisse 2")
    code = auth.reenrollment_create(name="Caisse 2", store=other.name)
    assert EnrollmentCode.objects.get(code_hash=auth._hash(code)).node_id == "node-q"


# --- the command ------------------------------------------------------------------------


def fail(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    command = load_command_class(get_commands()["hub"], "hub")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["comptoir", "hub", *args])
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_hub_enroll_reenroll_prints_the_till_s_command_and_the_code(
    node: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("hub", "enroll", "--name", "Caisse 2", "--reenroll")
    lines = capsys.readouterr().out.strip().splitlines()
    code = lines[-1]
    assert f"  comptoir node reenroll --code {code}" in lines
    entry = EnrollmentCode.objects.get(code_hash=auth._hash(code))
    assert (entry.node_id, entry.prefix) == ("node-2", "C2")


def test_hub_enroll_refusals_name_the_command_to_use(
    node: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections, "close_all", lambda: None)
    err = fail(capsys, "enroll", "--name", "Caisse 9", "--reenroll")
    assert (
        "Aucun poste enrôlé nommé « Caisse 9 » : pour une nouvelle caisse, lancez « comptoir "
        'hub enroll --name "Caisse 9" » sans --reenroll.'
    ) in err
    err = fail(capsys, "enroll", "--name", "Caisse 2")
    assert 'lancez « comptoir hub enroll --name "Caisse 2" --reenroll »' in err
    err = fail(capsys, "enroll", "--name", "Caisse 1")  # the hub's own till: no post
    assert err == "Erreur : Une caisse « Caisse 1 » existe déjà dans ce magasin.\n"
    err = fail(capsys, "enroll", "--name", "Caisse 2", "--reenroll", "--prefix", "C8")
    assert "--prefix ne va pas avec --reenroll" in err
    assert "Traceback" not in err
    assert not EnrollmentCode.objects.filter(used_at=None).exists()
