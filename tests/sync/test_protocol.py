"""The typed wire messages (``sync.protocol``): decoded and checked in one pass, refused
with where and why, and the very bytes of protocol 2 both ways."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from comptoir.syncengine import jsontext
from comptoir.syncengine.protocol import (
    MAX_PUSH_CHANGES,
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    FactChange,
    Page,
    ProtocolError,
    PushReply,
    ReferenceChange,
    Result,
    check_change,
    check_versions,
    decode,
    decode_push,
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


def push(*changes: Any) -> bytes:
    return json.dumps({"changes": list(changes)}).encode()


def test_a_well_formed_change_passes_with_its_ids_normalised() -> None:
    [upper] = decode_push(push(good(row=ROW.upper())))
    assert isinstance(upper, ReferenceChange)
    assert (upper.row, upper.kind, upper.data.fields) == (ROW, "reference", {"id": ROW})
    [fact] = decode_push(push(good(kind="fact", data={"rows": {}})))
    assert isinstance(fact, FactChange)
    assert fact.kind == "fact"


MALFORMED = [
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
    good(data={"fields": {}, "clocks": {"name": 3}}),
    good(kind="fact", data={"rows": []}),
    good(kind="fact", data={}),
    good(kind="fact", data={"rows": {"sales.payment": 3}}),  # a part not a list
    good(kind="fact", data={"rows": {"sales.payment": ["x"]}}),  # a part not an object
    good(kind="fact", data={"rows": {"sales.invoice": ["x"]}}),  # the root not an object
    good(id="pas-un-uuid"),
    good(id=None),
    good(id=12),
    good(row=["x"]),
]


@pytest.mark.parametrize("raw", MALFORMED, ids=repr)
def test_a_malformed_change_is_refused(raw: Any) -> None:
    with pytest.raises(ProtocolError):
        check_change(raw)
    with pytest.raises(ProtocolError):
        decode_push(push(raw))


@pytest.mark.parametrize(
    "body",
    [None, [], {"changes": {}}, {"changes": None}, {}, {"changes": [good(kind="x")]}],
    ids=repr,
)
def test_a_malformed_push_is_refused(body: Any) -> None:
    with pytest.raises(ProtocolError):
        decode_push(json.dumps(body).encode())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (push(good(id="pas-un-uuid")), "changes[0].id : il faut un UUID."),
        (push(good(model=3)), "changes[0].model : il faut un texte, pas un entier."),
        (push(good(kind="other")), "changes[0].kind : valeur 'other' refusée."),
        (push(good(data={"fields": {}})), "changes[0].data : champ « clocks » manquant."),
        (push(good(model="x" * 61)), "changes[0].model : 60 caractères au plus."),
        (b'{"changes": 3}', "changes : il faut une liste, pas un entier."),
        (b"[]", "il faut un objet, pas une liste."),
        (b'{"changes": [', "JSON invalide."),
    ],
)
def test_a_refusal_says_where_and_why_in_one_french_sentence(raw: bytes, message: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        decode_push(raw)
    assert str(refused.value) == message


def test_a_push_is_bounded() -> None:
    change = good()
    assert len(decode_push(push(*[change] * MAX_PUSH_CHANGES))) == MAX_PUSH_CHANGES
    with pytest.raises(ProtocolError, match=f"{MAX_PUSH_CHANGES} éléments au plus"):
        decode_push(push(*[change] * (MAX_PUSH_CHANGES + 1)))


@pytest.mark.parametrize("number", [10**18, 2**63, 2**64, 2**70, -(2**70), 10**40])
def test_a_long_integer_is_read_exactly_never_as_a_float(number: int) -> None:
    # 19 digits and more: a float would change the value unseen (the apply refuses it
    # then, for the column's range, with a reason: see test_apply_reference)
    raw = push(good(data={"fields": {"id": ROW, "sale_price": number}, "clocks": {}}))
    [change] = decode_push(raw)
    assert isinstance(change, ReferenceChange)
    value = change.data.fields["sale_price"]
    assert (type(value), value) == (int, number)
    assert jsontext.loads(raw)["changes"][0]["data"]["fields"]["sale_price"] == number


def test_a_lone_surrogate_is_refused_and_a_pair_read() -> None:
    lone = push(good()).replace(b'"clocks"', b'"\\ud800": 1, "clocks"')
    with pytest.raises(ProtocolError):
        decode_push(lone)
    pair = push(good(model="\U0001f600"))
    assert json.dumps("\U0001f600") == '"\\ud83d\\ude00"'  # written as escapes
    assert decode_push(pair)[0].model == "\U0001f600"


def test_a_change_written_by_a_previous_version_is_read() -> None:
    # protocol 2 as an N-1 till writes it: the standard library, keys in its order
    old = {
        "id": CHANGE,
        "model": "catalogue.article",
        "row": ROW,
        "kind": "reference",
        "data": {"fields": {"id": ROW}, "clocks": {"name": "x"}, "bases": {"name": "y"}},
    }
    [change] = decode_push(json.dumps({"changes": [old]}).encode())
    assert msgspec.to_builtins(change) == old
    assert json.loads(jsontext.dumps(change)) == old


def test_what_the_hub_writes_is_protocol_2() -> None:
    """The JSON values of a page and of a push's reply, as the previous version wrote
    (and reads) them: no key more or less, a reason always, no ``bases`` when none."""
    [change] = decode_push(push(good(data={"fields": {"id": ROW}, "clocks": {}, "bases": None})))
    page = Page(changes=[change], cursor=7, more=True, **envelope(123))
    assert json.loads(jsontext.dumps(page)) == {
        "changes": [good()],
        "cursor": 7,
        "more": True,
        **envelope(123),
    }
    reply = PushReply(results=[Result(CHANGE, "applied")], **envelope(123))
    assert json.loads(jsontext.dumps(reply)) == {
        "results": [{"id": CHANGE, "status": "applied", "reason": ""}],
        **envelope(123),
    }
    assert decode(jsontext.dumps(page), Page) == page


def test_unknown_keys_of_a_change_are_ignored_and_of_a_push_refused() -> None:
    # a change may carry what a newer hub adds to its pages; a push comes from a node of
    # this version or the previous one: a key this hub does not know is an error
    [change] = decode_push(push(good(later="x", data={"fields": {}, "clocks": {}, "new": 1})))
    assert change.id == CHANGE
    with pytest.raises(ProtocolError, match="« x » inconnu"):
        decode_push(b'{"changes": [], "x": 1}')
    page = decode(b'{"changes": [], "cursor": 3, "later": 1}', Page)
    assert page.cursor == 3


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
