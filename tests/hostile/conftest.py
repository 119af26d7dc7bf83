"""A hub with two enrolled nodes (two stores), raw access to its sync API, and snapshots.

``api`` speaks to the in-process app through Django's test ``Client`` with real
credentials; every answer it gets is checked against the OpenAPI description
(``comptoir/syncengine/openapi.json``) and tallied in ``TALLY``, which the session prints.
"""

from __future__ import annotations

import collections
import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync import wire
from comptoir.sync.models import ChangeLog, ConflictLog, NodeCredential, ReceivedChange
from comptoir.syncengine import auth
from comptoir.syncengine import digest as digests
from comptoir.syncengine.protocol import PREFIX, PROTOCOL_VERSION, SCHEMA_VERSION
from tests.factories import at, db_state, make_article
from tests.hostile import openapi

VERSIONS = {"X-Comptoir-Protocol": str(PROTOCOL_VERSION), "X-Comptoir-Schema": str(SCHEMA_VERSION)}

# Every refusal the API gives starts with one of these (French, for the person at the till).
FRENCH = (
    "Envoi invalide",
    "JSON invalide",
    "Corps",
    "Le corps doit être du JSON",
    "Encodage",
    "Versions incompatibles",
    "Poste non reconnu",
    "Paramètre entier invalide",
    "Méthode",
    "Modèle inconnu",
    "Code d'enrôlement",
    "Identifiant de poste",
    "Ce poste est déjà enrôlé",
    "Requête d'enrôlement",
    "Trop d'enrôlements refusés",
)

# Requests made and answers got, by kind: printed at the end of the session.
TALLY: collections.Counter[str] = collections.Counter()


@dataclass
class Node:
    token: str
    till: Till
    store: Store


class Api:
    """Raw HTTP to the sync API; each answer is checked: no 5xx, French refusals, schema."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def headers(self, token: str | None, **extra: str) -> dict[str, str]:
        out = dict(VERSIONS)
        if token is not None:
            out["Authorization"] = f"Bearer {token}"
        out.update(extra)
        return {k: v for k, v in out.items() if v is not None}

    def push(
        self,
        token: str | None,
        body: Any,
        *,
        content_type: str = "application/json",
        **extra: str,
    ) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.post(
            PREFIX + "push", raw, content_type=content_type, headers=self.headers(token, **extra)
        )
        return self.check("push", "post", response)

    def pull(self, token: str | None, query: dict[str, Any] | None = None, **extra: str) -> Any:
        response = self.client.get(
            PREFIX + "pull", query or {}, headers=self.headers(token, **extra)
        )
        return self.check("pull", "get", response)

    def digest(self, token: str | None, query: dict[str, Any] | None = None) -> Any:
        response = self.client.get(PREFIX + "digest", query or {}, headers=self.headers(token))
        return self.check("digest", "get", response)

    def enroll(self, body: Any, *, content_type: str = "application/json", **extra: str) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.post(
            PREFIX + "enroll", raw, content_type=content_type, headers=self.headers(None, **extra)
        )
        return self.check("enroll", "post", response)

    def check(self, path: str, method: str, response: Any) -> Any:
        status = response.status_code
        TALLY[f"requests {path}"] += 1
        assert status < 500, (path, status, response.content[:300])
        body = json.loads(response.content) if response.content else None
        openapi.check_response(path, method, status, body)
        if status >= 400:
            TALLY[f"refused {path} {status}"] += 1
            assert body["error"].startswith(FRENCH), body["error"]
        elif path == "push":
            for result in body["results"]:
                TALLY[f"push change {result['status']}"] += 1
                if result["status"] == "rejected":
                    assert result["reason"], result
        return response


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


def enrolled(store: Store, name: str, node_id: str) -> Node:
    code = auth.enrollment_create(name=name, store=store.name)
    token, till = auth.enrollment_redeem(code=code, node_id=node_id)
    return Node(token=token, till=till, store=store)


@pytest.fixture
def node(till: Till) -> Node:
    """Till "Caisse 2" (prefix C2) of the main store, enrolled, with an article to sell."""
    make_article("PAIN", "1.20")
    make_article("LAIT", "0.95", vat="5.5")
    return enrolled(till.store, "Caisse 2", "node-2")


@pytest.fixture
def stranger(node: Node) -> Node:
    """A till of another store, enrolled too."""
    other = store_get_or_create(name="Autre magasin", currency="EUR")
    return enrolled(other, "Caisse ailleurs", "node-9")


def sale(till: Till, *lines: tuple[str, int], day: int = 2) -> dict[str, Any]:
    """A push change carrying a sale made on ``till``, which the hub does not have."""
    return sales(till, list(lines) or [("PAIN", 2)], day=day)[0]


def sales(till: Till, *baskets: list[tuple[str, int]], day: int = 2) -> list[dict[str, Any]]:
    """Push changes of consecutive sales made on ``till`` (one per basket), then undone
    here: the till's series goes on from where it was, as the node's would."""
    sid = transaction.savepoint()
    invoices = [
        invoice_sell(lines=[SaleLine(code, qty) for code, qty in basket], till=till, at=at(day))
        for basket in baskets
    ]
    data = wire.fact_aggregates("sales.invoice", [i.pk for i in invoices])
    transaction.savepoint_rollback(sid)
    return [change("sales.invoice", i.pk, "fact", data[i.pk]) for i in invoices]


def change(label: str, row: Any, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "model": label,
        "row": str(row),
        "kind": kind,
        "data": copy.deepcopy(data),
    }


def snapshot() -> dict[str, Any]:
    """Everything a push could write: business rows (counts and digests), derived data,
    the change log, conflicts, idempotency records and the tills' credentials. The hub's
    technical events are left out: a refused fact raises an integrity alert, which the
    hub's event log records (the one write a refusal makes, by design)."""
    return {
        **db_state(),
        "digests": {
            label: digest
            for label, digest in digests.digests(None).items()
            if label != "events.technicalevent"
        },
        "log": ChangeLog.objects.exclude(model="events.technicalevent").count(),
        "conflicts": ConflictLog.objects.count(),
        "received": ReceivedChange.objects.count(),
        "credentials": sorted(
            NodeCredential.objects.values_list("node_id", "token_hash", "revoked_at", "till_id")
        ),
    }


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY:
        terminalreporter.section("hostile input: requests and answers")
        for key, count in sorted(TALLY.items()):
            terminalreporter.write_line(f"{key:<40} {count:>7}")
