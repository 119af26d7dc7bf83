"""The wire protocol between nodes and the hub: versions, shapes and their checks. Pure.

The only module both sides of the wire import. JSON bodies, compressed both ways (zstd,
or gzip for a client that asks for it; see ``compression``).

- ``POST push``   ``{"changes": [Change]}`` -> ``{"results": [Result], ...Envelope}``
- ``GET  pull?cursor=N&limit=L&wait=S`` -> ``{"changes": [Change], "cursor": N, "more": b}``
- ``POST enroll`` ``{"code", "node_id", "version"}`` -> ``{"token", "till", "store"}``
- ``GET  digest?model=M`` -> per-model digests, then row digests (``verify``)

A Change is ``{"id", "model", "row", "kind": "reference"|"fact", "data"}``: the current
state of a reference row (its fields and their clocks) or a whole fact aggregate, whose
parts leave out what their root gives (``wire.compact``). A node's reference change may
also carry ``bases``: the fields it edited, each with the clock of the value the edit
replaced, so that the hub logs only concurrent edits as conflicts (optional: a change
without them is merged the same, and every overwritten value is logged).
Every response carries an Envelope: the hub's time and the versions.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, TypedDict

# 2: fact parts leave out their derived ids and what their root gives; zstd bodies.
PROTOCOL_VERSION = 2
# Bump when the synced models change shape; a node and a hub must agree on it.
# 2: the store's legal identity; cash sessions and cash movements.
SCHEMA_VERSION = 2
PREFIX = "/api/sync/v1/"

MAX_PUSH_CHANGES = 1000
MAX_PULL_LIMIT = 2000
MAX_WAIT_SECONDS = 30
MAX_BODY_BYTES = 32 * 1024 * 1024  # decompressed
CLOCK_TOLERANCE_MS = 120_000

Kind = Literal["reference", "fact"]
Status = Literal["applied", "duplicate", "rejected"]


class Change(TypedDict):
    id: str
    model: str
    row: str
    kind: Kind
    data: dict[str, Any]


class Result(TypedDict):
    id: str
    status: Status
    reason: str


class ProtocolError(ValueError):
    """A body that is not a valid message of this protocol (the message says why)."""


def envelope(hub_time_ms: int) -> dict[str, Any]:
    return {"hub_time": hub_time_ms, "protocol": PROTOCOL_VERSION, "schema": SCHEMA_VERSION}


def _uuid(value: Any, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise ProtocolError(f"{what}: not a UUID") from None


def check_change(raw: Any) -> Change:
    if not isinstance(raw, dict):
        raise ProtocolError("a change must be an object")
    kind = raw.get("kind")
    if kind not in ("reference", "fact"):
        raise ProtocolError("change.kind must be 'reference' or 'fact'")
    model = raw.get("model")
    if not isinstance(model, str) or not 0 < len(model) <= 60:
        raise ProtocolError("change.model must be a model label")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise ProtocolError("change.data must be an object")
    if kind == "reference" and not (
        isinstance(data.get("fields"), dict) and isinstance(data.get("clocks"), dict)
    ):
        raise ProtocolError("a reference change carries fields and clocks")
    if kind == "reference" and "bases" in data and not _text_map(data["bases"]):
        raise ProtocolError("change.data.bases must map field names to clocks")
    if kind == "fact" and not isinstance(data.get("rows"), dict):
        raise ProtocolError("a fact change carries rows")
    return Change(
        id=_uuid(raw.get("id"), "change.id"),
        model=model,
        row=_uuid(raw.get("row"), "change.row"),
        kind=kind,
        data=data,
    )


def _text_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= 80 for k, v in value.items()
    )


def check_push(body: Any) -> list[Change]:
    if not isinstance(body, dict) or not isinstance(body.get("changes"), list):
        raise ProtocolError("a push is an object with a list of changes")
    changes = body["changes"]
    if len(changes) > MAX_PUSH_CHANGES:
        raise ProtocolError(f"at most {MAX_PUSH_CHANGES} changes per push")
    return [check_change(c) for c in changes]


def check_versions(protocol: Any, schema: Any) -> str | None:
    """Why a peer with these versions cannot talk to us, or None."""
    if str(protocol) != str(PROTOCOL_VERSION) or str(schema) != str(SCHEMA_VERSION):
        return f"protocol {protocol}/schema {schema} != {PROTOCOL_VERSION}/{SCHEMA_VERSION}"
    return None
