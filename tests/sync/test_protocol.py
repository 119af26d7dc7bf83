"""The pure checks of wire messages (``sync.protocol``)."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.syncengine.protocol import (
    MAX_PUSH_CHANGES,
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    ProtocolError,
    check_change,
    check_push,
    check_versions,
    envelope,
)

ROW = "0190a6f2-8b1c-7d3e-9f40-5a6b7c8d9e0f"
CHANGE = "0190a6f2-8b1c-7d3e-9f40-000000000001"


def good(**overrides: Any) -> dict[str, Any]:
    change = {
        "id": CHANGE,
        "model": "catalogue.article",
        "row": ROW,
        "kind": "reference",
        "data": {"fields": {"id": ROW}, "clocks": {}},
    }
    return {**change, **overrides}


def test_a_well_formed_change_passes_with_its_ids_normalised() -> None:
    upper = good(row=ROW.upper())
    assert check_change(upper)["row"] == ROW
    fact = good(kind="fact", data={"rows": {}})
    assert check_change(fact)["kind"] == "fact"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        "change",
        good(kind="other"),
        good(kind=None),
        good(model=""),
        good(model="x" * 61),
        good(model=3),
        good(data=[]),
        good(data={"fields": {}}),
        good(data={"fields": [], "clocks": {}}),
        good(data={"fields": {}, "clocks": "x"}),
        good(kind="fact", data={"rows": []}),
        good(kind="fact", data={}),
        good(id="pas-un-uuid"),
        good(id=None),
        good(id=12),
        good(row=["x"]),
    ],
    ids=repr,
)
def test_a_malformed_change_is_refused(raw: Any) -> None:
    with pytest.raises(ProtocolError):
        check_change(raw)


@pytest.mark.parametrize(
    "body",
    [None, [], {"changes": {}}, {"changes": None}, {}, {"changes": [good(kind="x")]}],
    ids=repr,
)
def test_a_malformed_push_is_refused(body: Any) -> None:
    with pytest.raises(ProtocolError):
        check_push(body)


def test_a_push_is_bounded() -> None:
    change = good()
    assert len(check_push({"changes": [change] * MAX_PUSH_CHANGES})) == MAX_PUSH_CHANGES
    with pytest.raises(ProtocolError, match="at most"):
        check_push({"changes": [change] * (MAX_PUSH_CHANGES + 1)})


def test_versions_must_match_exactly() -> None:
    assert check_versions(PROTOCOL_VERSION, SCHEMA_VERSION) is None
    assert check_versions(str(PROTOCOL_VERSION), str(SCHEMA_VERSION)) is None
    assert check_versions(PROTOCOL_VERSION + 1, SCHEMA_VERSION)
    assert check_versions(PROTOCOL_VERSION, SCHEMA_VERSION + 1)
    assert check_versions(None, None)


def test_every_response_envelope_carries_the_hub_time_and_versions() -> None:
    assert envelope(123) == {
        "hub_time": 123,
        "protocol": PROTOCOL_VERSION,
        "schema": SCHEMA_VERSION,
    }
