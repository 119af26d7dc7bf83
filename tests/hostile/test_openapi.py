"""The OpenAPI description matches the routes, and is served without credentials."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django.urls import URLPattern

from comptoir.syncengine import stream, urls
from comptoir.syncengine.protocol import MAX_PULL_LIMIT, MAX_PUSH_CHANGES, MAX_WAIT_SECONDS, PREFIX
from tests.hostile import openapi


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_route_is_documented_and_every_documented_path_is_routed() -> None:
    routes = {"/" + str(p.pattern) for p in urls.urlpatterns if isinstance(p, URLPattern)}
    # The live stream is an ASGI application of its own, mounted before Django's routes.
    routes.add("/" + stream.PATH.removeprefix(PREFIX))
    assert set(openapi.document()["paths"]) == routes
    assert openapi.document()["openapi"].startswith("3.1")


def test_every_reference_resolves() -> None:
    refs = _refs(openapi.document())
    assert refs
    for ref in refs:
        assert openapi.resolve({"$ref": ref}), ref


def test_the_documented_limits_are_the_protocol_s() -> None:
    doc = openapi.document()
    assert doc["components"]["schemas"]["Push"]["properties"]["changes"]["maxItems"] == (
        MAX_PUSH_CHANGES
    )
    parameters = [openapi.resolve(p) for p in openapi.operation("pull", "get")["parameters"]]
    params = {p["name"]: p["schema"] for p in parameters}
    assert params["limit"]["maximum"] == MAX_PULL_LIMIT
    assert params["wait"]["maximum"] == MAX_WAIT_SECONDS


def test_the_description_is_served_to_anyone_as_json(client: Client) -> None:
    response = client.get(PREFIX + "openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == openapi.document()
    refused = client.post(PREFIX + "openapi.json")
    assert refused.status_code == 405
    assert refused["Allow"] == "GET"
    assert refused.json()["error"].startswith("Méthode POST non acceptée")
