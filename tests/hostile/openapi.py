"""The OpenAPI description of the sync API, and a check of answers against it.

A small validator for the JSON Schema keywords the description uses (``type``,
``required``, ``properties``, ``additionalProperties``, ``items``, ``enum``, ``const``,
``allOf``, ``oneOf``, ``$ref``, lengths, bounds, ``format: uuid``): enough to hold every
answer of the fuzzed API to the documented contract without a new dependency.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from typing import Any

from comptoir.syncengine.views import OPENAPI

TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


@cache
def document() -> dict[str, Any]:
    return dict(json.loads(OPENAPI.read_text()))


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Why ``value`` does not match ``schema`` (empty if it does)."""
    schema = resolve(schema)
    out: list[str] = []
    if "type" in schema:
        ok = isinstance(value, TYPES[schema["type"]])
        if schema["type"] in ("integer", "number") and isinstance(value, bool):
            ok = False
        if not ok:
            return [f"{where}: {type(value).__name__} is not {schema['type']}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{where}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1e18):
            out.append(f"{where}: length {len(value)}")
        if schema.get("format") == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                out.append(f"{where}: not a UUID")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{where}: does not match {schema['pattern']}")
    low, high = schema.get("minimum", -float("inf")), schema.get("maximum", float("inf"))
    if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
        out.append(f"{where}: {value} out of bounds")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{where}: missing {name}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                out += errors(item, props[name], f"{where}.{name}")
            elif isinstance(extra, dict):
                out += errors(item, extra, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        if len(value) > schema.get("maxItems", len(value)):
            out.append(f"{where}: too many items")
        for i, item in enumerate(value):
            out += errors(item, schema["items"], f"{where}[{i}]")
    for sub in schema.get("allOf", []):
        out += errors(value, sub, where)
    if "oneOf" in schema:
        matching = [s for s in schema["oneOf"] if not errors(value, s, where)]
        if len(matching) != 1:
            out.append(f"{where}: matches {len(matching)} of oneOf")
    return out


def operation(path: str, method: str) -> dict[str, Any]:
    return dict(document()["paths"]["/" + path][method])


def check_response(path: str, method: str, status: int, body: Any) -> None:
    """The answer is one the description documents for this operation, in its shape."""
    responses = operation(path, method)["responses"]
    assert str(status) in responses, f"{method.upper()} {path}: undocumented status {status}"
    content = responses[str(status)].get("content", {}).get("application/json")
    if content is not None:
        problems = errors(body, content["schema"])
        assert not problems, (path, status, problems[:5])
