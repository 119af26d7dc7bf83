"""The sync API's JSON text (msgspec) says and reads what the standard library did, except
what the API refused anyway: infinities and lone surrogates are refused at once."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from comptoir.syncengine import jsontext

# What travels: JSON values (finite floats only: NaN is not JSON, and money is never one)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # lone surrogates too
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(value=values)
def test_it_reads_back_as_the_standard_library_wrote_it(value: Any) -> None:
    written = jsontext.dumps(value)
    assert isinstance(written, bytes)
    assert json.loads(written) == json.loads(json.dumps(value))


def test_what_msgspec_declines_is_written_by_the_standard_library() -> None:
    big = {"n": 2**70, "s": "a\ud800b"}
    assert json.loads(jsontext.dumps(big)) == big


def test_django_values_are_written_as_json_values() -> None:
    # No instant travels as an object (rows travel as ``wire.to_wire`` texts): msgspec
    # writes one in RFC 3339, to the microsecond (``JsonResponse``: to the millisecond).
    value = {
        "at": dt.datetime(2026, 11, 25, 1, 2, 3, 456789, tzinfo=dt.UTC),
        "day": dt.date(2026, 11, 25),
        "amount": Decimal("12.50"),
        "id": uuid.UUID("0193a6f2-0000-7000-8000-000000000001"),
        "label": gettext_lazy("Caisse"),
        7: "integer key",
    }
    assert json.loads(jsontext.dumps(value)) == {
        "at": "2026-11-25T01:02:03.456789Z",
        "day": "2026-11-25",
        "amount": "12.50",
        "id": "0193a6f2-0000-7000-8000-000000000001",
        "label": "Caisse",
        "7": "integer key",
    }


def test_it_is_compact_utf8() -> None:
    assert jsontext.dumps({"a": ["é", 1]}) == '{"a":["é",1]}'.encode()


def _standard(raw: bytes) -> tuple[str, Any]:
    """What the API read before orjson: UTF-8, then the standard library, no constants."""
    try:
        return "value", json.loads(raw.decode(), parse_constant=_refuse)
    except (ValueError, RecursionError):
        return "refused", None


def _refuse(name: str) -> Any:
    raise ValueError(name)


def _ours(raw: bytes) -> tuple[str, Any]:
    try:
        return "value", jsontext.loads(raw)
    except (ValueError, RecursionError):
        return "refused", None


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    # repr tells 1 from 1.0 and True from 1 (== does not)
    return a[0] == b[0] and repr(a[1]) == repr(b[1])


@given(value=values)
def test_it_reads_what_the_standard_library_reads(value: Any) -> None:
    raw = json.dumps(value).encode()
    if _lone_surrogate(value):
        assert _ours(raw) == ("refused", None)  # not UTF-8: no database stores it
    else:
        assert _same(_ours(raw), _standard(raw))


def _lone_surrogate(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_lone_surrogate(v) for item in value.items() for v in item)
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
    return False


EDGES = [
    b"[18446744073709551616]",  # past 64 bits: exact (a float would lose digits)
    b"[-9223372036854775809]",
    b'{"n": 123456789012345678901234567890}',
    b"123456789012345678901234567890",
    b'{"n":\n\t-18446744073709551616}',
    b'["hash 01234567890123456789012", 18446744073709551616]',
    b"[-1e309]",  # infinite: refused (the standard library reads -inf)
    b"[NaN]",
    b"[-Infinity]",
    b'["\\ud800"]',  # a lone surrogate (the standard library reads it)
    b'["\\udc00x", "\\ud800\\u0041"]',
    b"\xef\xbb\xbf[1]",
    b"\xff[1]",
    b'["a\x01b"]',
    b"[1]x",
    b"[" * 5000 + b"]" * 5000,
    b"[1.0, 1, true, -0.0, 1e-400]",
    b"",
]


# What the standard library reads, and the API now refuses when reading: an infinity
# (not JSON; money is never a float) and a lone surrogate (no database stores it).
REFUSED_NOW = {b"[-1e309]", b'["\\ud800"]', b'["\\udc00x", "\\ud800\\u0041"]'}


def test_it_reads_and_refuses_edge_cases_as_the_standard_library() -> None:
    for raw in EDGES:
        if raw in REFUSED_NOW:
            assert _ours(raw) == ("refused", None), raw
        else:
            assert _same(_ours(raw), _standard(raw)), raw


@given(raw=st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_any_bytes_get_the_standard_librarys_answer(raw: bytes) -> None:
    assert _same(_ours(raw), _standard(raw))
