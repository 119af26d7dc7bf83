"""Verifying a chain names its first broken record and why; any single mutation shows."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.fiscal.canonical import GENESIS
from comptoir.fiscal.chains import REASONS, Record, link, reason_text, verify_chain
from comptoir.lib.chain import chain_hash
from tests.fiscal.samples import chain, sample

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()


def _first(records: list[Record], **options: Any) -> tuple[int, str] | None:
    report = verify_chain(records, PUBLIC, **options)
    return None if report.first is None else (report.first.sequence, report.first.reason)


def _renumber(records: list[Record]) -> list[Record]:
    return [dataclasses.replace(r, sequence=i) for i, r in enumerate(records, start=1)]


def test_a_valid_chain_is_whole() -> None:
    records = chain(KEY, 5)
    report = verify_chain(records, PUBLIC, head=(5, records[-1].hash))
    assert (report.status, report.first, report.count) == ("whole", None, 5)
    assert report.head == (5, records[-1].hash)
    assert verify_chain([], PUBLIC).status == "whole"


def test_a_value_altered_in_place_is_named_altered() -> None:
    records = chain(KEY, 5)
    values = dict(records[2].values)
    values["total_incl_vat"] = 90
    records[2] = dataclasses.replace(records[2], values=values)
    assert _first(records) == (3, "altered")
    report = verify_chain(records, PUBLIC)
    assert report.status == "broken"
    assert report.first is not None
    assert report.first.message.startswith("enregistrement modifié")


def test_a_value_of_the_wrong_type_is_altered_not_a_crash() -> None:
    records = chain(KEY, 3)
    records[1] = dataclasses.replace(records[1], values={**records[1].values, "cashier": 1.5})
    assert _first(records) == (2, "altered")


def test_a_record_rehashed_after_an_edit_fails_its_signature() -> None:
    records = chain(KEY, 4)
    r = records[1]
    values = {**r.values, "cashier": "Paul"}
    forged, _ = link(
        key=Ed25519PrivateKey.generate(), kind=r.kind, values=values, previous=r.previous_hash
    )
    records[1] = dataclasses.replace(r, values=values, hash=forged)
    assert _first(records) == (2, "bad_signature")


def test_a_deleted_record_is_missing_and_the_next_one_is_named() -> None:
    records = chain(KEY, 5)
    assert _first([*records[:2], *records[3:]]) == (4, "missing")
    assert _first(_renumber([*records[:2], *records[3:]])) == (3, "missing")


def test_a_dropped_last_record_shows_only_against_the_known_head() -> None:
    records = chain(KEY, 5)
    assert _first(records[:4]) is None
    assert _first(records[:4], head=(5, records[4].hash)) == (5, "missing")


def test_on_the_hub_a_gap_is_pending_then_whole_when_the_record_arrives() -> None:
    records = chain(KEY, 5)
    report = verify_chain([*records[:2], *records[3:]], PUBLIC, gaps_pending=True)
    assert report.status == "pending"
    assert report.first is not None
    assert (report.first.sequence, report.first.reason) == (4, "pending")
    assert verify_chain(records, PUBLIC, gaps_pending=True).status == "whole"


def test_a_break_after_a_pending_gap_is_still_reported_as_broken() -> None:
    records = chain(KEY, 6)
    records[4] = dataclasses.replace(records[4], signature=records[3].signature)
    report = verify_chain([*records[:2], *records[3:]], PUBLIC, gaps_pending=True)
    assert report.status == "broken"
    assert [(f.sequence, f.reason) for f in report.findings] == [
        (4, "pending"),
        (5, "bad_signature"),
    ]
    assert report.first is not None
    assert report.first.reason == "bad_signature"


def test_an_inserted_record_is_named_whether_or_not_it_links_to_the_one_before() -> None:
    records = chain(KEY, 4)
    for previous in (records[1].hash, "cd" * 32):  # links to the one before, or to nothing
        values = sample("event", 9)
        digest, signature = link(key=KEY, kind="event", values=values, previous=previous)
        extra = Record(3, 2, "event", values, previous, digest, signature)
        assert _first(_renumber([*records[:2], extra, *records[2:]])) == (3, "inserted")


def test_an_extra_record_linking_to_the_next_one_is_inserted_not_reordered() -> None:
    records = chain(KEY, 4)
    values = sample("event", 9)
    digest, signature = link(key=KEY, kind="event", values=values, previous=records[2].hash)
    extra = Record(3, 2, "event", values, records[2].hash, digest, signature)
    assert _first(_renumber([*records[:2], extra, *records[2:]])) == (3, "inserted")


def test_a_record_added_after_the_known_head_is_inserted() -> None:
    records = chain(KEY, 3)
    digest, signature = link(
        key=KEY, kind="event", values=sample("event"), previous=records[2].hash
    )
    extra = Record(4, 2, "event", sample("event"), records[2].hash, digest, signature)
    assert _first([*records, extra]) is None  # a new record, as far as anyone can tell
    assert _first([*records, extra], head=(3, records[2].hash)) == (4, "inserted")


def test_a_swapped_pair_is_named_reordered() -> None:
    records = chain(KEY, 5)
    swapped = [*records[:1], records[2], records[1], *records[3:]]
    assert _first(_renumber(swapped)) == (2, "reordered")


def test_a_flipped_signature_byte_is_a_bad_signature() -> None:
    records = chain(KEY, 3)
    raw = bytearray(base64.b64decode(records[1].signature or ""))
    raw[10] ^= 1
    records[1] = dataclasses.replace(records[1], signature=base64.b64encode(raw).decode())
    assert _first(records) == (2, "bad_signature")


def test_a_record_signed_by_another_post_is_a_bad_signature() -> None:
    records = chain(Ed25519PrivateKey.generate(), 2)
    assert _first(records) == (1, "bad_signature")


def test_version_1_records_verify_unsigned_and_version_2_ones_follow_them() -> None:
    legacy, previous = [], GENESIS
    for n in (1, 2):
        values = {"kind": "invoice", "number": f"C1-2025-00000{n}", "store": "Ancien nom"}
        digest = chain_hash(previous, values)
        legacy.append(Record(n, 1, "invoice", values, previous, digest, None))
        previous = digest
    digest, signature = link(
        key=KEY, kind="invoice", values=sample("invoice", 3), previous=previous
    )
    new = Record(3, 2, "invoice", sample("invoice", 3), previous, digest, signature)
    assert _first([*legacy, new]) is None
    unsigned_v2 = dataclasses.replace(new, signature=None)
    assert _first([*legacy, unsigned_v2]) == (3, "bad_signature")


def test_a_version_1_record_after_a_version_2_one_is_altered() -> None:
    """Downgrading a record to the unsigned version would dodge its signature."""
    records = chain(KEY, 2)
    values = {"kind": "invoice", "number": "C1-2026-000003"}
    digest = chain_hash(records[1].hash, values)
    downgraded = Record(3, 1, "invoice", values, records[1].hash, digest, None)
    assert _first([*records, downgraded]) == (3, "altered")


def test_every_reason_has_a_french_sentence() -> None:
    for reason in REASONS:
        assert reason_text(reason).endswith(".")


# ---- any single mutation of a valid chain is detected and named ------------------------

MUTATIONS = ("alter", "drop", "drop_renumber", "insert", "swap", "flip")


def _alter(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, None]
    if isinstance(value, dict):
        return {**value, "x": 1}
    return "x"  # None


@settings(max_examples=150, deadline=None)
@given(
    length=st.integers(min_value=1, max_value=7),
    mutation=st.sampled_from(MUTATIONS),
    data=st.data(),
)
def test_any_single_mutation_is_detected_and_named(length: int, mutation: str, data: Any) -> None:
    records = chain(KEY, length, plain=True)
    head = (length, records[-1].hash)
    if mutation == "swap" and length < 2:
        mutation = "flip"
    at = data.draw(st.integers(min_value=0, max_value=length - 1), label="at")
    if mutation == "alter":
        name = data.draw(st.sampled_from(sorted(records[at].values)), label="field")
        values = {**records[at].values, name: _alter(records[at].values[name])}
        records[at] = dataclasses.replace(records[at], values=values)
        expected = (at + 1, "altered")
    elif mutation in ("drop", "drop_renumber"):
        del records[at]
        # The record after the gap is named: by its own number, or by the head's.
        expected = (min(at + 2, length), "missing")
        if mutation == "drop_renumber":
            records = _renumber(records)
            expected = (at + 1, "missing")
    elif mutation == "insert":
        at = data.draw(st.integers(min_value=0, max_value=length), label="insert at")
        previous = data.draw(
            st.sampled_from([GENESIS, "cd" * 32, *(r.hash for r in records)]), label="links to"
        )
        kind = data.draw(st.sampled_from(["invoice", "event"]), label="kind")
        values = sample(kind, 100)
        digest, signature = link(key=KEY, kind=kind, values=values, previous=previous)
        records.insert(at, Record(0, 2, kind, values, previous, digest, signature))
        records = _renumber(records)
        expected = (at + 1, "inserted")
    elif mutation == "swap":
        at = min(at, length - 2)
        records[at], records[at + 1] = records[at + 1], records[at]
        records = _renumber(records)
        expected = (at + 1, "reordered")
    else:
        raw = bytearray(base64.b64decode(records[at].signature or ""))
        raw[data.draw(st.integers(0, 63), label="byte")] ^= 1 << data.draw(st.integers(0, 7))
        records[at] = dataclasses.replace(records[at], signature=base64.b64encode(raw).decode())
        expected = (at + 1, "bad_signature")
    assert _first(records, head=head) == expected
