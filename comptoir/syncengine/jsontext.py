"""JSON text of the sync API, by msgspec (in C, both ways).

Reading gives what the standard library gives, integers of any size included (exact,
never a float), except what the API refused anyway: NaN and infinities (not JSON, and
money is never a float) and lone surrogates (not UTF-8: no database stores them) are
refused here. A NUL in a string is read, and refused by :func:`has_nul` where it would
be stored. Writing, instants, days, decimals and UUIDs are written by msgspec, lazy
texts as texts; a lone surrogate (which msgspec declines, and which never comes from
the wire) is written escaped by the standard library.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.functional import Promise

_DJANGO = DjangoJSONEncoder()


def _default(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    return _DJANGO.default(value)


_ENCODER = msgspec.json.Encoder(enc_hook=_default)
_DECODER = msgspec.json.Decoder()


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of ``value`` (built-in values or protocol structs)."""
    try:
        return _ENCODER.encode(value)
    except UnicodeEncodeError:
        plain = msgspec.to_builtins(value, enc_hook=_default, str_keys=True)
        return json.dumps(plain, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def loads(raw: bytes) -> Any:
    """The value of a UTF-8 JSON body; ``ValueError`` (or ``RecursionError``) if it is
    not JSON (or holds NaN, an infinity or a lone surrogate)."""
    try:
        return _DECODER.decode(raw)
    except msgspec.MsgspecError as exc:
        raise ValueError(str(exc)) from None


# A NUL can only come from this escape (JSON text holds no raw control character).
NUL_ESCAPE = b"\\u0000"


def has_nul(raw: bytes) -> bool:
    """True if a string (key or value) of the JSON ``raw`` holds NUL: no database takes
    it in text (PostgreSQL refuses it), so a body holding one is refused up front, before
    any change is applied, rather than half-way through a push. Only a body whose text
    has the escape is read (and walked) here; one that is not JSON is left to its reader."""
    if NUL_ESCAPE not in raw:
        return False
    try:
        stack = [loads(raw)]
    except (ValueError, RecursionError):
        return False
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and "\x00" in item:
            return True
    return False
