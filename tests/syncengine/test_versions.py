"""Versions: a hub at schema N serves posts at N and N-1 (``protocol``, ``schemas``), the
field lists per schema cannot drift, and releases are listed with their commits."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from django.db import transaction
from django.test import Client

from comptoir import __version__
from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_update
from comptoir.devtools.releases import ROOT, previous_release, releases
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync import registry, wire
from comptoir.sync.clock import wall_ms
from comptoir.syncengine import auth, digest, schemas
from comptoir.syncengine.client import HubRefused
from comptoir.syncengine.protocol import (
    OLDEST_SCHEMA,
    PREFIX,
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    FactChange,
    FactData,
    VersionRefused,
    envelope,
    peer_schema,
)
from tests.factories import at, make_article
from tests.sync.helpers import fact_change, reference_change, stamp
from tests.sync.test_client import answering

# -- the lists per schema ----------------------------------------------------------------


def test_the_current_schema_s_lists_are_what_the_registry_says() -> None:
    """Change a synced model, and this fails until ``python -m comptoir.syncengine.schemas
    --write`` (with SCHEMA_VERSION bumped once per release)."""
    assert schemas.stored()[SCHEMA_VERSION] == schemas.registry_lists()


def test_the_hub_keeps_the_lists_of_every_schema_it_serves() -> None:
    assert set(schemas.stored()) == set(range(OLDEST_SCHEMA, SCHEMA_VERSION + 1))
    assert OLDEST_SCHEMA == SCHEMA_VERSION - 1


def test_a_schema_bump_only_adds_models_and_fields_an_older_post_can_leave_out() -> None:
    """What the previous schema syncs is still synced, field by field; what this one adds
    is nullable or has a default, which the hub gives the rows of an older post."""
    previous = schemas.stored()[OLDEST_SCHEMA]
    for kind in ("reference", "fact"):
        for label, names in previous[kind].items():
            spec = registry.reference_spec(label) if kind == "reference" else None
            spec = spec or registry.fact_spec(label)
            assert spec is not None, f"{label} is no longer synced: two releases are needed"
            assert set(names) <= set(spec.fields), (label, set(names) - set(spec.fields))
            fields = {f.attname: f for f in spec.model._meta.concrete_fields}
            for name in set(spec.fields) - set(names):
                field = fields[name]
                assert field.null or field.has_default(), f"{label}.{name} is required"
    for label, names in previous["derived"].items():
        spec = registry.derived_spec(label)
        assert spec is not None
        assert set(names) <= set(spec.values), label


def test_the_lists_are_written_by_a_command_and_checked() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "comptoir.syncengine.schemas", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- releases ----------------------------------------------------------------------------


def test_releases_are_listed_with_their_commits_and_versions() -> None:
    listed = releases()
    current = [r for r in listed if r.version == __version__]
    assert len(current) == 1, "RELEASES.toml lists the version of this code"
    assert (current[0].protocol, current[0].schema) == (PROTOCOL_VERSION, SCHEMA_VERSION)
    for release in listed:
        if release.status == "released":
            assert len(release.commit) == 40, release
            assert release.date, release


def test_the_previous_release_is_one_this_hub_serves() -> None:
    previous = previous_release()
    assert previous.version != __version__
    assert previous.protocol == PROTOCOL_VERSION
    assert OLDEST_SCHEMA <= previous.schema <= SCHEMA_VERSION


# -- negotiation -------------------------------------------------------------------------


def test_a_hub_speaks_to_a_post_in_its_schema_or_the_previous_one() -> None:
    assert peer_schema(str(PROTOCOL_VERSION), str(SCHEMA_VERSION)) == SCHEMA_VERSION
    assert peer_schema(str(PROTOCOL_VERSION), str(OLDEST_SCHEMA)) == OLDEST_SCHEMA


@pytest.mark.parametrize(
    ("protocol", "schema", "says"),
    [
        (PROTOCOL_VERSION, OLDEST_SCHEMA - 1, "ce poste est trop ancien"),
        (PROTOCOL_VERSION - 1, SCHEMA_VERSION, "ce poste est trop ancien"),
        (PROTOCOL_VERSION, SCHEMA_VERSION + 1, "mettez à jour comptoir sur le serveur d'abord"),
        (PROTOCOL_VERSION + 1, OLDEST_SCHEMA, "mettez à jour comptoir sur le serveur d'abord"),
        (None, None, "sur ce poste ou sur le serveur"),
        ("2 ", "3", "sur ce poste ou sur le serveur"),
    ],
)
def test_other_versions_are_refused_saying_what_to_update(
    protocol: Any, schema: Any, says: str
) -> None:
    with pytest.raises(VersionRefused) as refused:
        peer_schema(protocol, schema)
    assert str(refused.value).startswith("Versions incompatibles")
    assert says in str(refused.value)


def test_a_post_newer_than_its_hub_says_to_upgrade_the_hub_first() -> None:
    """An older hub refuses this post (426) in its own versions: the post says plainly that
    the hub is upgraded first."""
    old_hub = {"error": "Versions incompatibles (…)", **envelope(1, OLDEST_SCHEMA)}
    with pytest.raises(HubRefused) as refused:
        answering(old_hub, status=426).pull(0)
    assert refused.value.status == 426
    assert "mettez d'abord comptoir à jour sur le serveur" in refused.value.message


# -- a post of the previous schema -------------------------------------------------------

# A previous schema that lacks fields and a model this one syncs: what the next release's
# schema bump will look like (the lists of 0.1.0 and of this code are the same).
REMOVED = {
    "catalogue.article": {"alert_threshold"},
    "sales.invoice": {"origin_node", "customer_id"},
    "stock.stockmovement": {"supplier_id"},
}
DROPPED = {"sales.invoicetax", "stats.salesstat"}


@pytest.fixture
def older() -> Iterator[schemas.Shape]:
    current = schemas.stored()[SCHEMA_VERSION]
    lists = copy.deepcopy(current)
    for kind in lists:
        for label in list(lists[kind]):
            if label in DROPPED:
                del lists[kind][label]
            else:
                gone = REMOVED.get(label, set())
                lists[kind][label] = [n for n in lists[kind][label] if n not in gone]
    fake = {OLDEST_SCHEMA: lists, SCHEMA_VERSION: current}
    real = schemas.stored
    schemas.shape.cache_clear()
    schemas._missing.cache_clear()
    schemas.stored = lambda: fake  # type: ignore[assignment]
    try:
        shape = schemas.shape(OLDEST_SCHEMA)
        assert shape is not None
        yield shape
    finally:
        schemas.stored = real  # type: ignore[assignment]
        schemas.shape.cache_clear()
        schemas._missing.cache_clear()


@pytest.fixture
def node(till: Till) -> dict[str, Any]:
    make_article("PAIN", "1.20")
    code = auth.enrollment_create(name="Caisse 2")
    token, node_till = auth.enrollment_redeem(code=code, node_id="node-2")
    return {"token": token, "till": node_till}


def old_headers(token: str) -> dict[str, str]:
    return {
        "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
        "X-Comptoir-Schema": str(OLDEST_SCHEMA),
        "Authorization": f"Bearer {token}",
    }


def without(row: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in names}


@pytest.mark.django_db
def test_a_page_for_a_post_of_the_previous_schema_carries_only_what_it_knows(
    older: schemas.Shape, node: dict[str, Any], client: Client, till: Till
) -> None:
    invoice_sell(lines=[SaleLine("PAIN", 2)], till=till, at=at(2))
    response = client.get(PREFIX + "pull", headers=old_headers(node["token"]))
    assert response.status_code == 200, response.content
    page = response.json()
    assert (page["protocol"], page["schema"]) == (PROTOCOL_VERSION, OLDEST_SCHEMA)  # in kind
    models = {c["model"] for c in page["changes"]}
    assert "catalogue.article" in models
    assert "sales.invoice" in models
    assert not models & DROPPED
    for change in page["changes"]:
        if change["kind"] == "reference":
            names = {"id", *older.fields[change["model"]]}
            assert set(change["data"]["fields"]) <= names
            assert set(change["data"]["clocks"]) <= names
            continue
        rows = change["data"]["rows"]
        assert not set(rows) & DROPPED
        root = rows[change["model"]][0]
        assert set(root) <= {"id", *older.fields[change["model"]]}
        for label, items in rows.items():
            for row in items:
                assert set(row) <= {"id", *older.fields[label]}, (label, row)
                if label == change["model"]:
                    continue
                # Whole again as the older post expands it (from its root, which lacks
                # origin_node now): the line carries it itself.
                spec = registry.fact_spec(change["model"])
                assert spec is not None
                fk = {registry.label_of(model): name for model, name in spec.parts}
                for name in older.fields[label]:
                    if name != fk.get(label):
                        assert name in row or name in root, (label, name)
    invoice = next(c for c in page["changes"] if c["model"] == "sales.invoice")
    assert "origin_node" in invoice["data"]["rows"]["sales.invoiceline"][0]


@pytest.mark.django_db
def test_the_pages_of_a_post_of_this_schema_are_whole(
    older: schemas.Shape, node: dict[str, Any], client: Client, till: Till
) -> None:
    invoice_sell(lines=[SaleLine("PAIN", 2)], till=till, at=at(2))
    headers = {**old_headers(node["token"]), "X-Comptoir-Schema": str(SCHEMA_VERSION)}
    page = client.get(PREFIX + "pull", headers=headers).json()
    assert page["schema"] == SCHEMA_VERSION
    invoice = next(c for c in page["changes"] if c["model"] == "sales.invoice")
    assert "sales.invoicetax" in invoice["data"]["rows"]
    assert "customer_id" in invoice["data"]["rows"]["sales.invoice"][0]


def _old_change(change: Any, label: str) -> dict[str, Any]:
    """A node's change as a post of the previous schema sends it: without ``REMOVED``."""
    raw: dict[str, Any] = msgspec.to_builtins(change)
    gone = REMOVED.get(label, set())
    if raw["kind"] == "reference":
        raw["data"]["fields"] = without(raw["data"]["fields"], gone)
        raw["data"]["clocks"] = without(raw["data"]["clocks"], gone)
    else:
        raw["data"]["rows"] = {
            part: [without(row, REMOVED.get(part, set())) for row in rows]
            for part, rows in raw["data"]["rows"].items()
            if part not in DROPPED
        }
    return raw


@pytest.mark.django_db
def test_a_push_of_a_post_of_the_previous_schema_is_applied_with_defaults(
    older: schemas.Shape, node: dict[str, Any], client: Client
) -> None:
    sid = transaction.savepoint()  # what the node made, seen from the hub
    article = make_article("NOUVEAU", "3.10")
    ref = reference_change(article)
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], till=node["till"], at=at(3))
    data = wire.fact_aggregates("sales.invoice", [invoice.pk])[invoice.pk]
    fact = fact_change("sales.invoice", invoice.pk, data)
    transaction.savepoint_rollback(sid)
    assert not Article.objects.filter(code="NOUVEAU").exists()
    body = {"changes": [_old_change(ref, "catalogue.article"), _old_change(fact, "sales.invoice")]}
    assert "alert_threshold" not in body["changes"][0]["data"]["fields"]
    response = client.post(
        PREFIX + "push",
        json.dumps(body),
        content_type="application/json",
        headers=old_headers(node["token"]),
    )
    assert response.status_code == 200, response.content
    reply = response.json()
    assert reply["schema"] == OLDEST_SCHEMA
    assert [r["status"] for r in reply["results"]] == ["applied", "applied"], reply
    stored = Article.objects.get(code="NOUVEAU")
    assert stored.alert_threshold == 0  # the field's default
    assert "alert_threshold" not in stored.sync_clocks  # never wins over a real edit
    applied = Invoice.objects.get(pk=invoice.pk)
    assert str(applied.origin_node) == "00000000-0000-0000-0000-000000000000"
    assert applied.number == invoice.number


@pytest.mark.django_db
def test_an_edit_from_a_post_of_the_previous_schema_keeps_the_fields_it_does_not_know(
    older: schemas.Shape, node: dict[str, Any], client: Client
) -> None:
    article = article_update(code="PAIN", alert_threshold=7)
    change = _old_change(reference_change(article, name="Pain de campagne"), "catalogue.article")
    change["data"]["clocks"]["name"] = stamp(wall_ms(), "node-2")  # newer than the stored one
    response = client.post(
        PREFIX + "push",
        json.dumps({"changes": [change]}),
        content_type="application/json",
        headers=old_headers(node["token"]),
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["status"] == "applied", response.json()
    article.refresh_from_db()
    assert article.name == "Pain de campagne"
    assert article.alert_threshold == 7


@pytest.mark.django_db
def test_verify_compares_what_a_post_of_the_previous_schema_holds(
    older: schemas.Shape, node: dict[str, Any], client: Client, till: Till
) -> None:
    invoice_sell(lines=[SaleLine("PAIN", 2)], till=till, at=at(2))
    store = node["till"].store_id
    response = client.get(PREFIX + "digest", headers=old_headers(node["token"]))
    assert response.status_code == 200
    models = response.json()["models"]
    assert not set(models) & DROPPED
    assert models == digest.digests(store, older)
    assert models["catalogue.article"] != digest.digests(store)["catalogue.article"]
    rows = client.get(
        PREFIX + "digest", {"model": "catalogue.article"}, headers=old_headers(node["token"])
    ).json()["rows"]
    article = Article.objects.get(code="PAIN")
    expected = wire.row_to_wire(article, older.fields["catalogue.article"])
    assert rows[str(article.pk)] == digest._hash(expected)
    unknown = client.get(
        PREFIX + "digest", {"model": "stats.salesstat"}, headers=old_headers(node["token"])
    )
    assert unknown.status_code == 400


def test_a_downgraded_page_leaves_the_shared_aggregates_unchanged(
    older: schemas.Shape,
) -> None:
    rows = {
        "sales.invoice": [{"id": "a", "origin_node": "n", "number": "C1-1"}],
        "sales.invoiceline": [{"position": 1}],
        "sales.invoicetax": [{"vat_rate": "20.00"}],
    }
    before = copy.deepcopy(rows)
    change = FactChange(
        id="0190a6f2-8b1c-7d3e-9f40-000000000001",
        model="sales.invoice",
        row="0190a6f2-8b1c-7d3e-9f40-000000000002",
        data=FactData(rows=rows),
    )
    (down,) = schemas.downgraded([change], OLDEST_SCHEMA)
    assert rows == before
    assert down.data.rows["sales.invoiceline"] == [{"position": 1, "origin_node": "n"}]
    assert "sales.invoicetax" not in down.data.rows


def test_the_published_api_names_the_versions_the_hub_speaks() -> None:
    # openapi.json is written by hand: it must move with the constants (it said schema 2
    # after the bump to 3, and every fuzzed request was refused).
    import json
    from pathlib import Path

    from comptoir.syncengine import protocol

    spec = json.loads(
        (Path(protocol.__file__).with_name("openapi.json")).read_text(encoding="utf-8")
    )
    speaks = list(range(protocol.OLDEST_SCHEMA, protocol.SCHEMA_VERSION + 1))
    parameters = spec["components"]["parameters"]
    assert parameters["Schema"]["schema"]["enum"] == [str(v) for v in speaks]
    assert parameters["Protocol"]["schema"]["const"] == str(protocol.PROTOCOL_VERSION)
    envelope = spec["components"]["schemas"]["Envelope"]["properties"]
    assert envelope["schema"]["enum"] == speaks
    assert envelope["protocol"]["const"] == protocol.PROTOCOL_VERSION
