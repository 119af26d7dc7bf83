"""The wire protocol between nodes and the hub: versions, typed messages and their
decoding. Pure.

The only module both sides of the wire import. JSON bodies, compressed both ways (zstd,
or gzip for a client that asks for it; see ``compression``).

- ``POST push``   :class:`Push` -> :class:`PushReply`
- ``GET  pull?cursor=N&limit=L&wait=S`` -> :class:`Page`
- ``POST enroll`` :class:`Enroll` -> ``{"token", "till", "store"}``
- ``GET  digest?model=M`` -> per-model digests, then row digests (``verify``)

A change (:data:`Change`) is ``{"id", "model", "row", "kind": "reference"|"fact",
"data"}``: the current state of a reference row (:class:`ReferenceData`, its fields and
their clocks) or a whole fact aggregate (:class:`FactData`), whose parts leave out what
their root gives (``wire.compact``). A node's reference change may also carry ``bases``:
the fields it edited, each with the clock of the value the edit replaced, so that the
hub logs only concurrent edits as conflicts (optional: a change without them is merged
the same, and every overwritten value is logged). Every response carries an envelope:
the hub's time and the versions.

The messages are msgspec structs, decoded and checked from JSON in one pass (in C):
a body that is not a message of this protocol is refused as a whole, with where and
why (:class:`ProtocolError`). The row values inside ``data`` stay plain JSON values:
each synced model's fields are checked when the change is applied
(``wire.values``), so that one bad value refuses its change, not the whole push.
Unknown keys are ignored (a newer peer may add some); the bytes are those of protocol 2.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import msgspec
from django.utils.translation import gettext as _

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

Label = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
# A UUID's text (``str(uuid)``; capitals accepted), checked in C: uuid.UUID() for every id
# of a page costed a third of its decoding.
Uuid = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
]
Clock = Annotated[str, msgspec.Meta(max_length=80)]
Row = dict[str, Any]  # a row's columns by attname, as JSON values (``wire.to_wire``)


class ProtocolError(ValueError):
    """A body that is not a valid message of this protocol (the message says why)."""


class ReferenceData(msgspec.Struct, omit_defaults=True):
    fields: Row
    clocks: dict[str, str]
    bases: dict[str, Clock] | None = None


class FactData(msgspec.Struct):
    rows: dict[str, list[Row]]  # model label -> rows, the root's first


class _Change(msgspec.Struct, tag_field="kind"):
    """``id`` and ``row`` are UUIDs in their canonical text (``str(uuid)``)."""

    id: Uuid
    model: Label
    row: Uuid

    def __post_init__(self) -> None:
        self.id, self.row = self.id.lower(), self.row.lower()


class ReferenceChange(_Change, tag="reference"):
    kind: ClassVar[Kind] = "reference"
    data: ReferenceData


class FactChange(_Change, tag="fact"):
    kind: ClassVar[Kind] = "fact"
    data: FactData


Change = ReferenceChange | FactChange


class Result(msgspec.Struct):
    id: str
    status: Status
    reason: str = ""


class Envelope(msgspec.Struct, kw_only=True):
    """What every response carries (an old hub's may lack it: the versions then
    disagree, and the client says so)."""

    hub_time: int | None = None
    protocol: int | str | None = None
    schema: int | str | None = None


class Push(msgspec.Struct, forbid_unknown_fields=True):
    """What a node sends. Read by a hub of the node's version or the next one: a key
    this hub does not know is refused (in a change, ignored: pages use them too)."""

    changes: Annotated[list[Change], msgspec.Meta(max_length=MAX_PUSH_CHANGES)]


class PushReply(Envelope, kw_only=True):
    results: list[Result]


class Page(Envelope, kw_only=True):
    """A page of a pull: ``cursor`` is where the next one starts; ``more`` if it is not
    the last."""

    changes: list[Change]
    cursor: int
    more: bool = False


class Head(msgspec.Struct):
    """A fiscal chain's last record: its sequence number and hash."""

    sequence: int
    hash: str


class Recovery(Envelope, kw_only=True):
    """What the hub holds of the asking post's own records (``GET recovery``): each of its
    chains' head, each series' highest number (``label:year``), the hub's log head, the
    post's outbox size at its last contact, and a page of its own facts (``cursor``: the
    next ``after``)."""

    heads: dict[str, Head]
    series: dict[str, int]
    log_head: int
    pending_count: int | None = None
    pending_at: str | None = None
    changes: list[Change]
    cursor: int
    more: bool = False


def change_of(kind: str, *, id: str, model: str, row: str, data: dict[str, Any]) -> Change:
    """The change of ``kind`` carrying ``data`` (a row's state as ``wire`` reads it)."""
    if kind == "reference":
        return ReferenceChange(
            id=id,
            model=model,
            row=row,
            data=ReferenceData(
                fields=data["fields"], clocks=data["clocks"], bases=data.get("bases")
            ),
        )
    return FactChange(id=id, model=model, row=row, data=FactData(rows=data["rows"]))


class Enroll(msgspec.Struct, forbid_unknown_fields=True):
    """A post's request for a credential: the one-time code shown on the hub. What is
    missing is empty (and refused by the hub as a wrong code); a key it does not know
    is refused, as in a push."""

    code: str = ""
    node_id: str = ""
    version: str = ""
    reenroll: bool = False  # for this enrolled post, never as a new till
    public_key: str = ""  # the post's Ed25519 public key (the fiscal journal's signatures)


def envelope(hub_time_ms: int) -> dict[str, Any]:
    return {"hub_time": hub_time_ms, "protocol": PROTOCOL_VERSION, "schema": SCHEMA_VERSION}


M = TypeVar("M")
_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def decode(raw: bytes, shape: type[M]) -> M:
    """The message of type ``shape`` in the UTF-8 JSON ``raw``; :class:`ProtocolError`
    (one French sentence: where and why) if it is not one."""
    decoder = _DECODERS.get(shape)
    if decoder is None:
        decoder = _DECODERS[shape] = msgspec.json.Decoder(shape)
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        if not _is_json(raw):  # (the shape may be refused before the text is read whole)
            raise ProtocolError(_("JSON invalide.")) from None
        raise ProtocolError(explain(str(exc))) from None
    except (msgspec.DecodeError, RecursionError):
        raise ProtocolError(_("JSON invalide.")) from None


def _is_json(raw: bytes) -> bool:
    try:
        msgspec.json.decode(raw)
    except (msgspec.MsgspecError, RecursionError):
        return False
    return True


def check_change(value: Any) -> Change:
    """The change that ``value`` (built-in values, as JSON reads them) is, checked as
    :func:`decode` checks it: for a change made by hand."""
    try:
        return msgspec.convert(value, Change)
    except msgspec.ValidationError as exc:
        raise ProtocolError(explain(str(exc))) from None


def decode_push(raw: bytes) -> list[Change]:
    return decode(raw, Push).changes


_WHERE = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<where>[^`]*)`)?$", re.DOTALL)
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_LENGTH = re.compile(r"^Expected `(?P<want>\w+)` of length (?P<op>[<>]=) (?P<n>\d+)$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$")
_PATTERN = re.compile(r"^Expected `str` matching regex ")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")
_INVALID = re.compile(r"^Invalid (?:enum )?value (?P<value>.*)$")


def explain(message: str) -> str:
    """msgspec's refusal (``Expected `str`, got `int` - at `$.changes[0].id```) in French,
    naming the place in the body: the end of a sentence that says what was refused
    (``Envoi invalide : changes[0].id : il faut un texte, pas un entier.``)."""
    parts = _WHERE.match(message)
    assert parts is not None  # (everything matches)
    what, where = parts["what"], (parts["where"] or "").lstrip(".")
    if match := _EXPECTED.match(what):
        what = _("il faut %(want)s, pas %(got)s") % {
            "want": _json_type(match["want"]),
            "got": _json_type(match["got"]),
        }
    elif match := _LENGTH.match(what):
        unit = _("caractères") if match["want"] == "str" else _("éléments")
        what = (
            _("%(n)s %(unit)s au plus") if match["op"] == "<=" else _("%(n)s %(unit)s au moins")
        ) % {"n": match["n"], "unit": unit}
    elif match := _MISSING.match(what):
        what = _("champ « %(name)s » manquant") % {"name": match["name"]}
    elif _PATTERN.match(what):  # (only UUIDs have one)
        what = _("il faut un UUID")
    elif match := _UNKNOWN.match(what):
        what = _("champ « %(name)s » inconnu") % {"name": match["name"][:40]}
    elif match := _INVALID.match(what):
        what = _("valeur %(value)s refusée") % {"value": match["value"][:40]}
    else:
        what = _("valeur refusée")
    if where:
        return _("%(where)s : %(what)s.") % {"where": where, "what": what}
    return _("%(what)s.") % {"what": what}  # (after its caller's "...invalide :")


def _json_type(name: str) -> str:
    names = {
        "object": _("un objet"),
        "array": _("une liste"),
        "str": _("un texte"),
        "int": _("un entier"),
        "float": _("un nombre"),
        "bool": _("un booléen"),
        "null": _("null"),
    }
    return names.get(name.split(" ")[0], name)


def check_versions(protocol: Any, schema: Any) -> str | None:
    """Why a peer with these versions cannot talk to us, or None."""
    if str(protocol) != str(PROTOCOL_VERSION) or str(schema) != str(SCHEMA_VERSION):
        return f"protocol {protocol}/schema {schema} != {PROTOCOL_VERSION}/{SCHEMA_VERSION}"
    return None
