"""The canonical, versioned serialization a fiscal record's hash covers (**inalterability**).

A record's hash is computed on its post when it is made, and recomputed by every verifier
(the post itself, the hub, an archive check on any machine) from the values stored with
the record. The serialization must therefore give the very same bytes from the values as
made and from the values as read back; each version is frozen once records use it, and
a record keeps verifying under the version it was made with (no stored hash is rewritten).

- **Version 1** (:func:`comptoir.lib.chain.chain_hash`): the documents chained before
  the fiscal journal; kept as it is, for those records only.
- **Version 2**: UTF-8 JSON, keys sorted, no whitespace, of
  ``{"kind", "previous", "v": 2, "values"}``, where ``values`` follow the kind's schema
  (:mod:`comptoir.fiscal.schemas`): amounts as decimal strings with the currency's
  exponent ("12.50", "1500"), instants in UTC to the microsecond with a "Z", quantities and
  rates as plain decimals without trailing zeros, ``None`` written out, floats refused.

:func:`normalize` turns typed values into the plain JSON values that are hashed, and that
an archive stores; :func:`hash_plain` hashes plain values, so an archive's records
recompute without their schema types.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from comptoir.fiscal.schemas import (
    AMOUNT,
    BOOL,
    DATE,
    DECIMAL,
    FREE,
    HASH,
    INSTANT,
    INT,
    SCHEMAS,
    TEXT,
    UUID,
    Field,
    Rows,
)
from comptoir.lib.chain import chain_hash
from comptoir.lib.money import Money, format_amount

GENESIS = ""
CURRENT_VERSION = 2
VERSIONS = (1, 2)

Plain = str | int | bool | None | list["Plain"] | dict[str, "Plain"]


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8; refuses floats and anything JSON does not know."""
    _refuse_floats(data)
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _refuse_floats(data: Any) -> None:
    if isinstance(data, float):
        raise TypeError("a fiscal record never holds a float")
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise TypeError(f"key {key!r} is not a string")
            _refuse_floats(value)
    elif isinstance(data, list | tuple):
        for value in data:
            _refuse_floats(value)


def instant_text(value: dt.datetime) -> str:
    """An aware datetime as UTC ISO-8601 to the microsecond: ``2026-03-29T01:30:00.000000Z``."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"an instant must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an instant must carry its time zone (naive datetime refused)")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decimal_text(value: Decimal | int | str) -> str:
    """A quantity or rate as a plain decimal, without exponent or trailing zeros: "2", "0.2"."""
    if isinstance(value, float | bool):
        raise TypeError(f"a decimal is never a {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def amount_text(value: Money | int, currency: str) -> str:
    """Minor units (or a :class:`Money` of ``currency``) as "12.50" with its exponent."""
    if isinstance(value, Money):
        if value.currency != currency:
            raise ValueError(f"amount in {value.currency} in a record in {currency}")
        value = value.minor
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an amount is int minor units or Money, not {type(value).__name__}")
    return format_amount(value, currency)


def _plain_free(value: Any) -> Plain:
    _refuse_floats(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain_free(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_free(v) for k, v in value.items()}
    raise TypeError(f"{type(value).__name__} is not plain JSON")


def _field(name: str, spec: Field, value: Any, currency: str | None) -> Plain:
    if value is None:
        if not spec.nullable:
            raise ValueError(f"{name}: None where a value is required")
        return None
    kind = spec.type
    if kind is AMOUNT:
        if currency is None:
            raise ValueError(f"{name}: an amount in a record without currency")
        return amount_text(value, currency)
    if kind is INSTANT:
        return instant_text(value)
    if kind is DECIMAL:
        return decimal_text(value)
    if kind is FREE:
        return _plain_free(value)
    if isinstance(value, float):
        raise TypeError(f"{name}: float refused")
    if kind is INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}: int expected, not {type(value).__name__}")
        return value
    if kind is BOOL:
        if not isinstance(value, bool):
            raise TypeError(f"{name}: bool expected")
        return value
    if kind is DATE:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise TypeError(f"{name}: date expected")
        return value.isoformat()
    if kind is UUID:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    if kind in (TEXT, HASH):
        if not isinstance(value, str):
            raise TypeError(f"{name}: text expected, not {type(value).__name__}")
        return value
    if isinstance(kind, Rows):
        if not isinstance(value, list | tuple):
            raise TypeError(f"{name}: a list of rows expected")
        return [_row(f"{name}[{i}]", kind.fields, row, currency) for i, row in enumerate(value)]
    raise AssertionError(kind)  # pragma: no cover - schemas use the types above


def _row(
    where: str, fields: Mapping[str, Field], values: Mapping[str, Any], currency: str | None
) -> dict[str, Plain]:
    if not isinstance(values, Mapping):
        raise TypeError(f"{where}: a mapping expected, not {type(values).__name__}")
    missing = sorted(n for n, spec in fields.items() if n not in values and not spec.optional)
    unknown = sorted(set(values) - set(fields))
    if missing or unknown:
        raise ValueError(f"{where}: missing keys {missing}, unknown keys {unknown}")
    return {
        name: _field(f"{where}.{name}", spec, values[name], currency)
        for name, spec in fields.items()
        if name in values
    }


def normalize(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A record's typed values, checked against its kind's schema, as plain JSON values."""
    try:
        schema = SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"unknown fiscal record kind: {kind!r}") from None
    currency = values.get("currency") if "currency" in schema else None
    if currency is not None and not isinstance(currency, str):
        raise TypeError("currency must be a text")
    return _row(kind, schema, values, currency)


def payload(kind: str, plain: Mapping[str, Any], previous: str) -> bytes:
    """The version 2 bytes a record's hash covers, from its plain (normalized) values."""
    return canonical_json({"kind": kind, "previous": previous, "v": 2, "values": dict(plain)})


def hash_plain(version: int, kind: str, plain: Mapping[str, Any], previous: str) -> str:
    """A record's hash from plain JSON values (as :func:`normalize` or an archive gives)."""
    if version == 1:
        return chain_hash(previous, dict(plain))
    if version == 2:
        return hashlib.sha256(payload(kind, plain, previous)).hexdigest()
    raise ValueError(f"unknown serialization version: {version!r}")


def record_hash(version: int, kind: str, values: Mapping[str, Any], previous: str) -> str:
    """A record's hash under ``version``: 1 hashes the legacy values as they were (the
    documents made before the fiscal journal), 2 normalizes them with the kind's schema."""
    if version == 1:
        return chain_hash(previous, dict(values))
    return hash_plain(version, kind, normalize(kind, values), previous)


def plain_values(version: int, kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """What an archive stores of a record's values: plain JSON that hashes the same."""
    if version == 1:
        # Version 1 serialized with ``default=str``: the same text, read back, is plain.
        return dict(json.loads(json.dumps(dict(values), default=str)))
    return normalize(kind, values)


def signed_message(record_hash_hex: str) -> bytes:
    """What a post signs for a record: its hash, behind a prefix that no other signed
    message of comptoir starts with (an archive manifest's signature cannot pass for a
    record's, nor the reverse)."""
    return b"comptoir-fiscal-record\n" + record_hash_hex.encode("ascii")
