"""Inserting new rows as fast as each database takes them, values prepared as Django
would prepare them."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models

from comptoir.sync import wire


def insert_rows(
    model: type[models.Model], objs: list[Any], columns: Sequence[str] | None = None
) -> None:
    """Insert new rows as fast as each database takes them: ``COPY`` on PostgreSQL (one
    stream per table), ``executemany`` of one prepared ``INSERT`` on SQLite. ``objs`` are
    instances, or ``wire.record_type`` rows; or, with ``columns`` (attnames: the others
    take their database default, such as an auto-incremented key), tuples of those
    columns. Values are prepared by their fields, as ``bulk_create`` does; nothing is
    captured here."""
    fields = list(model._meta.concrete_fields)
    if columns is not None:
        by_attname = {f.attname: f for f in fields}
        fields = [by_attname[name] for name in columns]
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        db = cursor.db  # the connection itself, not the per-context proxy
        plain = [_as_is(f, db.vendor, db.timezone_name) for f in fields]
        rows = (
            [
                _prepared(f, value, kinds, db)
                for f, kinds, value in zip(fields, plain, _columns(obj, fields), strict=True)
            ]
            for obj in objs
        )
        if db.vendor == "postgresql":
            copying = cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
            with db.wrap_database_errors, copying as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(rows))


def _columns(obj: Any, fields: list[models.Field[Any, Any]]) -> Iterable[Any]:
    if isinstance(obj, tuple):  # a record: its columns, in order
        return obj
    return (getattr(obj, f.attname) for f in fields)


def _same(value: Any) -> Any:
    return value


def _hex(value: uuid.UUID) -> str:
    return value.hex


def _utc_text(value: datetime) -> str:
    """An aware instant as Django's SQLite backend stores it (in UTC, no offset)."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


@functools.cache
def _as_is(field: models.Field[Any, Any], vendor: str, zone: str) -> dict[type, wire.Convert]:
    """How to write values of the usual Python types without the field's generic path,
    giving exactly what Django would send (the field's own path for anything else).

    Everywhere: integers of plain integer fields, text of text fields, booleans. On
    PostgreSQL (``COPY`` reads their text form) also UUIDs, decimals, aware instants and
    days; on SQLite, UUIDs as the 32 hex digits Django stores, and aware instants in UTC
    (the connection's ``zone``, unless the settings name another).
    """
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    prep = type(target).get_db_prep_value, type(target).get_prep_value
    if isinstance(target, models.IntegerField) and prep == (
        models.IntegerField.get_db_prep_value,
        models.IntegerField.get_prep_value,
    ):
        return {int: _same}
    if isinstance(target, models.CharField | models.TextField):
        return {str: _same}
    if prep == (models.BooleanField.get_db_prep_value, models.BooleanField.get_prep_value):
        return {bool: _same}
    if isinstance(target, models.UUIDField):
        return {uuid.UUID: _same if vendor == "postgresql" else _hex}
    plain_instant = prep == (
        models.DateTimeField.get_db_prep_value,
        models.DateTimeField.get_prep_value,
    )
    if vendor == "sqlite" and zone == "UTC" and plain_instant:
        return {datetime: _utc_text}
    if vendor != "postgresql":
        return {}
    if isinstance(target, models.DecimalField):
        return {Decimal: _same}
    if isinstance(target, models.DateTimeField):
        return {datetime: _same}
    if prep == (models.DateField.get_db_prep_value, models.DateField.get_prep_value):
        return {date: _same}
    return {}


def _prepared(
    field: models.Field[Any, Any], value: Any, kinds: dict[type, wire.Convert], db: Any
) -> Any:
    if value is None:
        return None
    convert = kinds.get(type(value))
    if convert is not None and (type(value) is not datetime or value.tzinfo is not None):
        return convert(value)
    return field.get_db_prep_save(value, db)
