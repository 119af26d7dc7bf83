"""The node's client reads the hub's answers as typed messages (``sync.client``)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from comptoir.syncengine.client import HubClient, HubRefused
from comptoir.syncengine.protocol import PREFIX, Page, envelope


def answering(body: Any, status: int = 200) -> HubClient:
    """A client whose hub answers every request with ``body`` (JSON)."""
    client = HubClient("http://127.0.0.1:9", "jeton")
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    client.http = httpx.Client(
        base_url="http://127.0.0.1:9" + PREFIX,
        transport=httpx.MockTransport(lambda request: httpx.Response(status, content=raw)),
    )
    return client


def test_a_page_is_read_typed_with_the_hub_s_time() -> None:
    change = {
        "id": "0190a6f2-8b1c-7d3e-9f40-000000000001",
        "model": "catalogue.category",
        "row": "0190a6f2-8b1c-7d3e-9f40-5a6b7c8d9e0f",
        "kind": "reference",
        "data": {"fields": {"name": "Rayon"}, "clocks": {}},
    }
    client = answering({"changes": [change], "cursor": 12, "more": True, **envelope(99)})
    page = client.pull(0)
    assert isinstance(page, Page)
    assert (page.cursor, page.more, page.changes[0].row) == (12, True, change["row"])
    assert client.last_hub_time == 99


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"changes": [], "cursor": "12"}, "cursor : il faut un entier, pas un texte."),
        ({"changes": [{"kind": "fact"}], "cursor": 1}, "changes[0] : champ « id » manquant."),
        ({"cursor": 1}, "champ « changes » manquant."),
    ],
)
def test_a_page_that_is_not_one_is_refused_with_where_and_why(body: Any, why: str) -> None:
    client = answering({**body, **envelope(99)})
    with pytest.raises(HubRefused) as refused:
        client.pull(0)
    assert (refused.value.status, refused.value.message) == (
        502,
        f"Réponse du serveur invalide : {why}",
    )


def test_a_hub_of_another_version_is_said_before_the_shape_of_its_answer() -> None:
    client = answering({"pages": [], "hub_time": 1, "protocol": 3, "schema": 1})
    with pytest.raises(HubRefused, match="autre version") as refused:
        client.pull(0)
    assert refused.value.status == 426


def test_an_error_answer_is_the_hub_s_sentence() -> None:
    client = answering({"error": "Envoi invalide : changes : …", **envelope(1)}, status=400)
    with pytest.raises(HubRefused, match="Envoi invalide") as refused:
        client.push([])
    assert refused.value.status == 400
