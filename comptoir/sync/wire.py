"""Rows to and from their wire form (JSON-safe dicts keyed by attname)."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.sql.constants import MULTI
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.core.errors import ValidationError
from comptoir.core.ids import part_id
from comptoir.sync import registry

CHUNK = 500  # ids per IN (...) query
# A value from one form to another (wire to Python, database to wire...).
Convert = Callable[[Any], Any]


def to_wire(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | dict | list):
        return value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} on the wire")


def row_to_wire(obj: models.Model, attnames: Iterable[str]) -> dict[str, Any]:
    return {"id": str(obj.pk), **{a: to_wire(getattr(obj, a)) for a in attnames}}


@functools.cache
def _fields_by_attname(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {f.attname: f for f in model._meta.concrete_fields}


def from_wire(model: type[models.Model], attname: str, raw: Any) -> Any:
    """The Python value of a field from its wire form; a clear error if it is not one."""
    field = _fields_by_attname(model).get(attname)
    if field is None:
        raise ValidationError(_("Champ inconnu : %(field)s.") % {"field": attname})
    return _field_from_wire(field, attname, raw)


def _field_from_wire(field: models.Field[Any, Any], attname: str, raw: Any) -> Any:
    if raw is None:
        if not field.null:
            raise ValidationError(_("Champ obligatoire manquant : %(field)s.") % {"field": attname})
        return None
    try:
        if isinstance(field, models.JSONField):
            return raw
        if isinstance(raw, dict | list | float):
            raise DjangoValidationError("bad type")
        if isinstance(raw, str) and _is_uuid(field):
            return UUID(raw)  # what ``to_python`` gives, without its detours
        value = field.to_python(raw)
        _check_bounds(field, value)
        return value
    except (DjangoValidationError, TypeError, ValueError, ArithmeticError):
        raise ValidationError(
            _("Valeur invalide pour %(field)s : « %(value)s ».") % {"field": attname, "value": raw}
        ) from None


_BOUNDS = (
    validators.MaxLengthValidator,
    validators.DecimalValidator,
    validators.MinValueValidator,
    validators.MaxValueValidator,
)


def _check_bounds(field: models.Field[Any, Any], value: Any) -> None:
    """Refuse what the column cannot hold, before the database does.

    SQLite stores an over-long text or an over-precise decimal as is (and fails on an
    integer over 64 bits); PostgreSQL fails the statement. Only the size limits are
    checked: format validators (e-mail...) are the services' business, not the merge's.
    """
    if isinstance(value, dt.datetime):
        # Aware only (a naive time would be read in this server's zone), and convertible
        # to UTC (0001-01-01T00:00+01:00 is not: it would crash or be stored as 1 BC).
        if timezone.is_naive(value):
            raise DjangoValidationError("naive datetime")
        value.astimezone(dt.UTC)
    max_length, low, high, others, limits = _bounds(field)
    if max_length is not None and len(value) > max_length:
        raise DjangoValidationError("too long")
    if (low is not None and value < low) or (high is not None and value > high):
        raise DjangoValidationError("out of range")
    for validator in others:
        validator(value)
    if limits is not None:
        stored = field.get_prep_value(value)
        if isinstance(stored, int) and not limits[0] <= stored <= limits[1]:
            raise DjangoValidationError("out of range")


Bounds = tuple[int | None, Any, Any, tuple[Any, ...], tuple[int, int] | None]


@functools.cache
def _bounds(field: models.Field[Any, Any]) -> Bounds:
    """A field's size limits, read once: max length, lowest and highest value as plain
    comparisons (what those validators do), the other validators, the column's range."""
    max_length, low, high, others = None, None, None, []
    for v in field.validators:
        if not isinstance(v, _BOUNDS):
            continue
        if isinstance(v, validators.DecimalValidator) or callable(v.limit_value):
            others.append(v)
        elif isinstance(v, validators.MaxLengthValidator):
            max_length = v.limit_value if max_length is None else min(max_length, v.limit_value)
        elif isinstance(v, validators.MinValueValidator):
            low = v.limit_value if low is None else max(low, v.limit_value)
        else:
            high = v.limit_value if high is None else min(high, v.limit_value)
    limits = BaseDatabaseOperations.integer_field_ranges.get(field.get_internal_type())
    return max_length, low, high, tuple(others), limits


@functools.cache
def _is_uuid(field: models.Field[Any, Any]) -> bool:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    return isinstance(target, models.UUIDField)


def build(model: type[models.Model], row: dict[str, Any], attnames: Iterable[str]) -> Any:
    """An unsaved instance from a wire row (every synced field must be present).

    Built positionally, like rows read from the database: the fields that are not synced
    take their default, the others are never given one first (no id nor clock drawn).
    """
    allowed = _as_set(attnames if isinstance(attnames, tuple) else tuple(attnames))
    unknown = row.keys() - allowed - {"id"}
    if unknown:
        raise ValidationError(
            _("Champs inconnus : %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    values = []
    for field, attname, step, read in _plan(model, allowed):
        if step is _DEFAULT:
            values.append(field.get_default())
            continue
        if step is _REQUIRED and attname not in row:
            raise ValidationError(_("Champ manquant : %(field)s.") % {"field": attname})
        raw = row.get(attname)
        value = read(raw) if read is not None else _SLOW
        values.append(_field_from_wire(field, attname, raw) if value is _SLOW else value)
    return model(*values)


_PK, _REQUIRED, _DEFAULT, _SLOW = object(), object(), object(), object()
Step = tuple["models.Field[Any, Any]", str, object, "Convert | None"]


@functools.cache
def _plan(model: type[models.Model], allowed: frozenset[str]) -> tuple[Step, ...]:
    """How :func:`build` fills each column of ``model``: the id, a synced field (required),
    or a default; with the field's shortcut reader, if it has one."""
    steps = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            step = _PK
        elif field.attname in allowed:
            step = _REQUIRED
        else:
            step = _DEFAULT
        steps.append((field, field.attname, step, _reader(field)))
    return tuple(steps)


@functools.cache
def _reader(field: models.Field[Any, Any]) -> Convert | None:
    """A shortcut for a field's commonest wire values (a UUID's text, a plain integer,
    a text), giving exactly what :func:`_field_from_wire` gives for them; anything else
    (and anything the shortcut doubts) answers ``_SLOW``, for the general path."""
    if _is_uuid(field):

        def read_uuid(raw: Any) -> Any:
            if type(raw) is str:
                try:
                    return UUID(raw)
                except ValueError:
                    pass
            return _SLOW

        return read_uuid
    max_length, low, high, others, limits = _bounds(field)
    if others or isinstance(field, models.BooleanField):
        return None
    if isinstance(field, models.IntegerField) and (
        type(field).to_python,
        type(field).get_prep_value,
    ) == (models.IntegerField.to_python, models.IntegerField.get_prep_value):
        floors = [x for x in (low, limits[0] if limits else None) if x is not None]
        ceilings = [x for x in (high, limits[1] if limits else None) if x is not None]
        lowest = max(floors) if floors else None
        highest = min(ceilings) if ceilings else None

        def read_int(raw: Any) -> Any:
            if (
                type(raw) is int
                and (lowest is None or raw >= lowest)
                and (highest is None or raw <= highest)
            ):
                return raw
            return _SLOW

        return read_int
    if type(field).to_python in (models.CharField.to_python, models.TextField.to_python) and (
        low is None and high is None
    ):

        def read_text(raw: Any) -> Any:
            if type(raw) is str and (max_length is None or len(raw) <= max_length):
                return raw
            return _SLOW

        return read_text
    return None


@functools.cache
def _as_set(attnames: tuple[str, ...]) -> frozenset[str]:
    return frozenset(attnames)


def reference_states(label: str, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """Current states of reference rows: their fields and clocks (read as values)."""
    spec = registry.reference_spec(label)
    assert spec is not None
    names = ("id", *spec.fields)
    out: dict[UUID, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = spec.model._default_manager.filter(pk__in=ids[start : start + CHUNK])
        for *values, clocks in rows.values_list(*names, "sync_clocks"):
            out[values[0]] = {
                "fields": {n: to_wire(v) for n, v in zip(names, values, strict=True)},
                "clocks": dict(clocks or {}),
            }
    return out


def _wire_rows(
    model: type[models.Model], attnames: tuple[str, ...], **lookup: Any
) -> Iterator[dict[str, Any]]:
    """Rows as :func:`row_to_wire` gives them, read as values (no model instances).

    Each column goes from what the database driver returns to its wire form in one step:
    Django's converters then :func:`to_wire`, or a shortcut giving the same text for the
    commonest columns (:func:`_column_to_wire`).
    """
    names = ("id", *attnames)
    queryset = model._default_manager.filter(**lookup).order_by("pk").values_list(*names)
    compiler = queryset.query.get_compiler(using=queryset.db)
    chunks = compiler.execute_sql(MULTI)
    if compiler.select is None:  # nothing to read (an empty IN)
        return
    expressions = [select[0] for select in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(expressions)
    db = compiler.connection
    steps = [
        _column_to_wire(expression, converters.get(i, ((), None))[0], db)
        for i, expression in enumerate(expressions)
    ]
    for chunk in chunks:
        for row in chunk:
            yield {name: step(value) for name, step, value in zip(names, steps, row, strict=True)}


def _column_to_wire(expression: Any, converters: Any, db: Any) -> Convert:
    """One column's raw value (from the driver) to its wire form."""
    field = expression.output_field
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if db.vendor == "sqlite" and isinstance(target, models.UUIDField):
        return _dashed  # stored as 32 hex digits
    if (
        db.vendor == "sqlite"
        and db.timezone_name == "UTC"
        and isinstance(target, models.DateTimeField)
        and converters == [db.ops.convert_datetimefield_value]  # no field converter
    ):
        return _utc_iso  # read by sqlite3 as a naive datetime, in UTC
    if not converters:
        return to_wire

    def general(value: Any) -> Any:
        for converter in converters:
            value = converter(value, expression, db)
        return to_wire(value)

    return general


def _dashed(value: Any) -> Any:
    """A UUID's 32 hex digits as ``str(UUID(value))`` writes them."""
    if type(value) is not str or len(value) != 32:
        return to_wire(None if value is None else UUID(value))
    value = value.lower()
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _utc_iso(value: Any) -> Any:
    """A naive UTC datetime as the aware one's ``isoformat()``."""
    if type(value) is not dt.datetime or value.tzinfo is not None:
        return to_wire(None if value is None else timezone.make_aware(value, dt.UTC))
    return value.isoformat() + "+00:00"


def fact_aggregates(label: str, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """Whole aggregates: ``{"rows": {label: [row, ...]}}`` with the root first."""
    spec = registry.fact_spec(label)
    assert spec is not None
    out: dict[UUID, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        for row in _wire_rows(spec.model, spec.fields, pk__in=ids[start : start + CHUNK]):
            out[UUID(row["id"])] = {"rows": {label: [row]}}
    found = list(out)
    for part_model, fk in spec.parts:
        part_spec = registry.fact_spec(registry.label_of(part_model))
        assert part_spec is not None
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for start in range(0, len(found), CHUNK):
            lookup = {f"{fk}__in": found[start : start + CHUNK]}
            for row in _wire_rows(part_model, part_spec.fields, **lookup):
                grouped[row[fk]].append(row)
        for root_id, rows in grouped.items():
            out[UUID(root_id)]["rows"][part_spec.label] = rows
    return out


def compact(label: str, rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """An aggregate's rows as they travel: what the receiver can derive is left out.

    In a part's row, left out are: its id when it is the one derived from the root's
    for its place in the list (:func:`comptoir.core.ids.part_id`), the foreign key to
    the root, and any field whose value is that of the root's field of the same name
    (creation time, origin, store...). Parts with derived ids come first, in their
    order. :func:`expanded` puts it all back; rows written before ids were derived (or
    by hand) keep their ids.
    """
    spec = registry.fact_spec(label)
    assert spec is not None
    root = rows[label][0]
    root_id = UUID(root["id"])
    out = {label: [root]}
    for part_model, fk in spec.parts:
        part_label = registry.label_of(part_model)
        items = rows.get(part_label)
        if not items:
            continue
        derived = {str(part_id(root_id, part_label, n)): n for n in range(len(items))}
        ordered = sorted(items, key=lambda row: (derived.get(row["id"], len(items)), row["id"]))
        short = []
        for n, row in enumerate(ordered):
            kept = {
                name: value
                for name, value in row.items()
                if name != fk and not _inherited(root, name, value)
            }
            if derived.get(row["id"]) == n:
                del kept["id"]
            short.append(kept)
        out[part_label] = short
    return out


def _inherited(root: dict[str, Any], name: str, value: Any) -> bool:
    if name == "id" or name not in root:
        return False
    other = root[name]
    return type(other) is type(value) and other == value


def expanded(
    raw: dict[str, Any], root: dict[str, Any], spec: registry.FactSpec, fk: str, n: int
) -> dict[str, Any]:
    """A part's row as :func:`compact` sent it, whole again: ``raw`` is the ``n``-th row of
    ``spec``'s model in the aggregate of ``root`` (a root row whose id was checked)."""
    row = dict(raw)
    if "id" not in row:
        row["id"] = str(part_id(UUID(root["id"]), spec.label, n))
    row.setdefault(fk, root["id"])
    for attname in spec.fields:
        if attname not in row and attname in root:
            row[attname] = root[attname]
    return row


def wire_aggregates(label: str, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """:func:`fact_aggregates` in their travelling form (:func:`compact`)."""
    return {
        pk: {"rows": compact(label, data["rows"])}
        for pk, data in fact_aggregates(label, ids).items()
    }


class FactCache:
    """Wire forms of fact aggregates already read, the most recently used kept.

    A fact never changes once written, so the copy read for one puller serves the
    others: on a hub, a sale wakes every till of its store at once, and each pulls it.
    The first to ask reads it; the others, arriving meanwhile, wait for that read rather
    than repeat it. Off by default (a served hub turns it on, see ``comptoir.asgi``); the
    returned dicts are shared and must not be changed.
    """

    WAIT = 5.0  # seconds to wait for another request's read before reading oneself

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self.enabled = False
        self._items: OrderedDict[tuple[str, UUID], dict[str, Any]] = OrderedDict()
        self._loading: dict[tuple[str, UUID], threading.Event] = {}
        self._lock = threading.Lock()

    def aggregates(self, label: str, rows: list[UUID]) -> dict[UUID, dict[str, Any]]:
        """:func:`wire_aggregates`, from memory where another request read them."""
        if not self.enabled:
            return wire_aggregates(label, rows)
        found: dict[UUID, dict[str, Any]] = {}
        mine: list[UUID] = []
        theirs: list[tuple[UUID, threading.Event]] = []
        with self._lock:
            for row in rows:
                key = (label, row)
                data = self._items.get(key)
                if data is not None:
                    self._items.move_to_end(key)
                    found[row] = data
                elif key in self._loading:
                    theirs.append((row, self._loading[key]))
                else:
                    self._loading[key] = threading.Event()
                    mine.append(row)
        try:
            read = wire_aggregates(label, mine) if mine else {}
            found.update(read)
            with self._lock:
                for row, data in read.items():
                    self._items[(label, row)] = data
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        finally:
            with self._lock:
                for row in mine:
                    self._loading.pop((label, row)).set()
        missed = []
        for row, event in theirs:
            event.wait(self.WAIT)
            with self._lock:
                data = self._items.get((label, row))
            if data is None:
                missed.append(row)  # their read failed, or it is not there
            else:
                found[row] = data
        if missed:
            found.update(wire_aggregates(label, missed))
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


fact_cache = FactCache()


def states(pairs: list[tuple[str, UUID]]) -> dict[tuple[str, UUID], tuple[str, dict[str, Any]]]:
    """Current wire states of (model label, row id) pairs: (kind, data) per pair found."""
    by_label: dict[str, list[UUID]] = defaultdict(list)
    for label, row in pairs:
        by_label[label].append(row)
    out: dict[tuple[str, UUID], tuple[str, dict[str, Any]]] = {}
    for label, rows in by_label.items():
        if registry.reference_spec(label):
            for row, data in reference_states(label, rows).items():
                out[(label, row)] = ("reference", data)
        elif registry.fact_spec(label):
            for row, data in fact_cache.aggregates(label, rows).items():
                out[(label, row)] = ("fact", data)
    return out
