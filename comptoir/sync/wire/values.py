"""Values to and from their wire form: a row's fields as JSON-safe values, and checked
Python values (then unsaved model instances) from what a peer sent."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError

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
        check_value(field, value)
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


def check_value(field: models.Field[Any, Any], value: Any) -> None:
    """Refuse a field's (Python) value that the hub's database would refuse or alter.

    The one check of a synced value on every post: the hub runs it on what it receives
    (:func:`from_wire`), and every post on what it writes itself (:mod:`.checks`), so a
    fact validated on a till is never refused by the hub for its values. Raises Django's
    ``ValidationError`` with a ``code`` (``null``, ``max_length``, ``text``, ``range``...).
    """
    if value is None:
        if not field.null:
            raise DjangoValidationError("missing", code="null")
        return
    if isinstance(field, models.JSONField):
        return
    _check_bounds(field, value)
    if _round_trips(field):
        # A field stored in another form (quantities as integer thousandths) must read
        # back as the value given: the database would silently round it otherwise.
        stored = field.get_prep_value(value)
        if field.from_db_value(stored, None, None) != value:  # type: ignore[attr-defined]
            raise DjangoValidationError("altered when stored", code="range")


@functools.cache
def _round_trips(field: models.Field[Any, Any]) -> bool:
    return hasattr(field, "from_db_value") and not isinstance(field, models.JSONField)


def _check_text(value: str) -> None:
    # PostgreSQL refuses NUL in text; a lone surrogate is not UTF-8, so neither database
    # takes it (SQLite would store whatever an encoder made of it).
    if "\x00" in value:
        raise DjangoValidationError("NUL", code="text")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise DjangoValidationError("not UTF-8", code="text") from None


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
            raise DjangoValidationError("naive datetime", code="range")
        value.astimezone(dt.UTC)
    elif isinstance(value, str):
        _check_text(value)
    max_length, low, high, others, limits = _bounds(field)
    if max_length is not None and len(value) > max_length:
        raise DjangoValidationError("too long", code="max_length")
    if (low is not None and value < low) or (high is not None and value > high):
        raise DjangoValidationError("out of range", code="range")
    for validator in others:
        validator(value)
    if limits is not None:
        stored = field.get_prep_value(value)
        if isinstance(stored, int) and not limits[0] <= stored <= limits[1]:
            raise DjangoValidationError("out of range", code="range")


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


def column_values(
    model: type[models.Model], row: dict[str, Any], attnames: Iterable[str]
) -> list[Any]:
    """The checked values of a wire row's columns, in the model's column order."""
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
    return values


def build(model: type[models.Model], row: dict[str, Any], attnames: Iterable[str]) -> Any:
    """An unsaved instance from a wire row (every synced field must be present).

    Built positionally, like rows read from the database: the fields that are not synced
    take their default, the others are never given one first (no id nor clock drawn).
    """
    return model(*column_values(model, row, attnames))


def build_record(model: type[models.Model], row: dict[str, Any], attnames: Iterable[str]) -> Any:
    """What :func:`build` checks, as a light :func:`record_type` row instead of an instance
    (a tenth of the cost: no signals, no descriptors), for rows only inserted and read."""
    return record_type(model)._make(column_values(model, row, attnames))


@functools.cache
def record_type(model: type[models.Model]) -> Any:
    """A named tuple of ``model``'s columns, by attribute name and in column order, with
    ``pk``: read like an unsaved instance by what a batch does with it (checks, derived
    data, inserting), and inserted as it is."""
    names = [f.attname for f in model._meta.concrete_fields]
    base = collections.namedtuple(f"{model.__name__}Row", names)  # type: ignore[misc]
    pk = property(operator.itemgetter(names.index(model._meta.pk.attname)))
    return type(base.__name__, (base,), {"__slots__": (), "pk": pk})


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
    """A shortcut for a field's commonest wire values (a UUID's text, a plain integer, a
    text, a decimal's text, an aware instant or a day in ISO 8601, a boolean), giving
    exactly what :func:`_field_from_wire` gives for them; anything else (and anything the
    shortcut doubts) answers ``_SLOW``, for the general path."""
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
    converts = type(field).to_python
    if converts is models.DecimalField.to_python and low is None and high is None:
        return _decimal_reader(others)
    if others:
        return None
    if converts is models.BooleanField.to_python:
        return _read_bool
    if converts is models.DateTimeField.to_python and low is None and high is None:
        return _read_instant
    if converts is models.DateField.to_python and low is None and high is None:
        return _read_day
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
            if (
                type(raw) is str
                and (max_length is None or len(raw) <= max_length)
                and "\x00" not in raw
                and (raw.isascii() or _is_utf8(raw))
            ):
                return raw
            return _SLOW

        return read_text
    return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _decimal_reader(checks: tuple[Any, ...]) -> Convert:
    def read_decimal(raw: Any) -> Any:
        if type(raw) is not str:
            return _SLOW
        try:
            value = Decimal(raw)
            if not value.is_finite():
                return _SLOW
            for check in checks:  # digits and places (DecimalValidator)
                check(value)
        except (ArithmeticError, ValueError, DjangoValidationError):
            return _SLOW
        return value

    return read_decimal


def _read_bool(raw: Any) -> Any:
    return raw if type(raw) is bool else _SLOW


def _read_instant(raw: Any) -> Any:
    # What parse_datetime tries first; aware and convertible to UTC, as _check_bounds asks.
    if type(raw) is not str:
        return _SLOW
    try:
        value = dt.datetime.fromisoformat(raw)
        if value.utcoffset() is None:
            return _SLOW
        value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return _SLOW
    return value


def _read_day(raw: Any) -> Any:
    if type(raw) is not str:  # what parse_date tries first
        return _SLOW
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return _SLOW


@functools.cache
def _as_set(attnames: tuple[str, ...]) -> frozenset[str]:
    return frozenset(attnames)
