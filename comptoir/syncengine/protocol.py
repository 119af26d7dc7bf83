"""The wire protocol between nodes and the hub: versions, typed messages and their
decoding. Pure.

The only module both sides of the wire import. JSON bodies, compressed both ways (zstd,
or gzip for a client that asks for it; see ``compression``).

- ``POST push``   :class:`Push` -> :class:`PushReply`
- ``GET  pull?cursor=N&limit=L&wait=S`` -> :class:`Page`
- ``POST enroll`` :class:`Enroll` -> ``{"token", "till", "store"}``
- ``GET  digest?model=M`` -> per-model digests, then row digests (``verify``)
- ``GET  snapshot?after=A`` -> :class:`Snapshot` (a new node, or one behind the log's cut:
  a pull answers it 410 with ``cut``)

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

Versions, and upgrading one post at a time. A post sends its versions in the headers
``X-Comptoir-Protocol`` and ``X-Comptoir-Schema`` of every request; every answer's envelope
says the versions it is written in.

- ``PROTOCOL_VERSION`` is the shape of the messages (envelope, kinds of change, what a fact
  part leaves out, compression). A hub speaks only its own: a bump makes every post upgrade
  with the hub, so a new need is met by an optional key (which an older peer ignores) rather
  than a bump whenever it can be.
- ``SCHEMA_VERSION`` is which models are synced and which fields each one carries (the
  lists per schema: ``comptoir/syncengine/schemas.json``, written by ``python -m
  comptoir.syncengine.schemas --write``). A release bumps it at most once, when it adds a
  synced model or a field of one. A hub at schema N serves posts at N and N-1
  (:data:`OLDEST_SCHEMA`): it answers each in its own schema (the envelope carries the
  post's versions; a page carries only the models and fields that schema knows), and a
  change of an N-1 post gets, for the fields its schema lacks, their default (``NULL`` for
  a nullable field), as a row the hub's own code writes without them would. So a schema bump
  may only add a synced model, or a field that is nullable or has a default. Renaming or
  removing a synced field or model, or adding a required one, takes two releases: the first
  stops needing it, the next removes it (``tests/syncengine/test_versions.py`` checks the
  rule against the previous schema's list).
- A post of an older schema, or a post newer than its hub, is refused (426) with a French
  sentence saying what to update: the hub first, then the tills, in any order and at any
  pace. A post checks that the hub answers in its own versions (:func:`check_versions`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import msgspec
from django.utils.translation import gettext as _

# 2: fact parts leave out their derived ids and what their root gives; zstd bodies.
PROTOCOL_VERSION = 2
# Bump when the synced models change shape (see the docstring: what a bump may do).
# 2 (0.1.0): the store's legal identity; cash sessions and cash movements.
# 3 (0.2.0): the fields this release adds to synced models (``schemas.json``).
SCHEMA_VERSION = 3
# The oldest schema a hub serves: the previous release's.
OLDEST_SCHEMA = SCHEMA_VERSION - 1
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


class VersionRefused(ValueError):
    """A post whose versions this hub does not serve (the message says what to update)."""


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


class Snapshot(Envelope, kw_only=True):
    """A page of a snapshot (``GET snapshot?after=A``): the current state of rows this node
    sees, whole aggregates, in an order where a row comes after the rows it points to.
    ``head``: on the first page (no ``after``), the log sequence read before any row, where
    pulls go on once the snapshot is whole; ``after``: where the next page starts."""

    changes: list[Change]
    head: int = 0
    after: str = ""
    more: bool = False


class Head(msgspec.Struct):
    """A fiscal chain's last record: its sequence number and hash."""

    sequence: int
    hash: str


class Recovery(Envelope, kw_only=True):
    """What the hub holds of the asking post's own records (``GET recovery``): each of its
    chains' head, each series' highest number (``label:year``), the hub's log head, the
    post's outbox size at its last contact, a page of its own facts (``cursor``: the
    next ``after``), and the hub's last restore from a backup."""

    heads: dict[str, Head]
    series: dict[str, int]
    log_head: int
    pending_count: int | None = None
    pending_at: str | None = None
    changes: list[Change]
    cursor: int
    more: bool = False
    # The hub's last restore from a backup, if any (``syncengine.restored``): when, and its
    # log head then.
    restored_at: str | None = None
    rewound_to: int | None = None


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


def envelope(hub_time_ms: int, schema: int = SCHEMA_VERSION) -> dict[str, Any]:
    """What every answer carries: the hub's time, and the versions it is written in (the
    post's schema, for a post of the previous one)."""
    return {"hub_time": hub_time_ms, "protocol": PROTOCOL_VERSION, "schema": schema}


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
    """Why an answer in these versions is not in ours, or None (a post's check of its hub,
    which answers each post in the post's own versions)."""
    if str(protocol) != str(PROTOCOL_VERSION) or str(schema) != str(SCHEMA_VERSION):
        return f"protocol {protocol}/schema {schema} != {PROTOCOL_VERSION}/{SCHEMA_VERSION}"
    return None


_VERSION = re.compile(r"[0-9]{1,6}")


def _version(value: Any) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if _VERSION.fullmatch(text) else None


def peer_schema(protocol: Any, schema: Any) -> int:
    """The schema a hub speaks with a post that sent these versions (its own, or the
    previous one); :class:`VersionRefused` (a French sentence: what to update) if none."""
    p, s = _version(protocol), _version(schema)
    if p == PROTOCOL_VERSION and s is not None and OLDEST_SCHEMA <= s <= SCHEMA_VERSION:
        return s
    detail = check_versions(protocol, schema) or ""
    if p is not None and s is not None and (p, s) > (PROTOCOL_VERSION, SCHEMA_VERSION):
        raise VersionRefused(
            _(
                "Versions incompatibles (%(p)s) : ce poste est plus récent que le serveur ; "
                "mettez à jour comptoir sur le serveur d'abord, puis sur les caisses."
            )
            % {"p": detail}
        )
    if p is not None and s is not None:
        raise VersionRefused(
            _(
                "Versions incompatibles (%(p)s) : ce poste est trop ancien pour ce serveur, qui "
                "accepte les schémas %(oldest)d à %(newest)d ; mettez à jour comptoir sur ce "
                "poste."
            )
            % {"p": detail, "oldest": OLDEST_SCHEMA, "newest": SCHEMA_VERSION}
        )
    raise VersionRefused(
        _(
            "Versions incompatibles (%(p)s) : mettez à jour comptoir sur ce poste ou sur le "
            "serveur pour qu'ils parlent la même version."
        )
        % {"p": detail}
    )


def hub_is_older(protocol: Any, schema: Any) -> bool:
    """Whether a hub answering in these versions is older than this post (which it then
    refuses: the hub is upgraded first)."""
    p, s = _version(protocol), _version(schema)
    return p is not None and s is not None and (p, s) < (PROTOCOL_VERSION, SCHEMA_VERSION)
