"""The sync API's JSON writer says what the standard library (and ``JsonResponse``) said."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
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


def test_what_orjson_declines_is_written_by_the_standard_library() -> None:
    big = {"n": 2**70, "s": "a\ud800b"}
    assert json.loads(jsontext.dumps(big)) == big


def test_django_values_are_written_as_json_response_writes_them() -> None:
    value = {
        "at": dt.datetime(2026, 11, 25, 1, 2, 3, 456789, tzinfo=dt.UTC),
        "day": dt.date(2026, 11, 25),
        "amount": Decimal("12.50"),
        "id": uuid.UUID("0193a6f2-0000-7000-8000-000000000001"),
        "label": gettext_lazy("Caisse"),
        7: "integer key",
    }
    assert json.loads(jsontext.dumps(value)) == json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    assert json.loads(jsontext.dumps(value))["at"] == "2026-11-25T01:02:03.456Z"


def test_digits_inside_strings_are_left_to_orjson() -> None:
    # a hex digest often holds 19 digits in a row: not a number, no slow path for it
    raw = b'{"hash": "a0123456789012345678901234b", "n": 1}'
    assert not jsontext._long_number(raw)
    assert jsontext._long_number(b'{"n": 1234567890123456789}')
    assert jsontext._long_number(b" -1234567890123456789")


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
    assert _same(_ours(raw), _standard(raw))


EDGES = [
    b"[18446744073709551616]",  # past 64 bits: orjson would give a float
    b"[-9223372036854775809]",
    b'{"n": 123456789012345678901234567890}',
    b"123456789012345678901234567890",
    b'{"n":\n\t-18446744073709551616}',
    b'["hash 01234567890123456789012", 18446744073709551616]',
    b"[1e309]",  # infinite: refused
    b"[NaN]",
    b"[-Infinity]",
    b'["\\ud800"]',  # a lone surrogate: read, then refused by the API's own check
    b"\xef\xbb\xbf[1]",
    b"\xff[1]",
    b'["a\x01b"]',
    b"[1]x",
    b"[" * 5000 + b"]" * 5000,
    b"[1.0, 1, true, -0.0, 1e-400]",
    b"",
]


def test_it_reads_and_refuses_edge_cases_as_the_standard_library() -> None:
    for raw in EDGES:
        assert _same(_ours(raw), _standard(raw)), raw


@given(raw=st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_any_bytes_get_the_standard_librarys_answer(raw: bytes) -> None:
    assert _same(_ours(raw), _standard(raw))
