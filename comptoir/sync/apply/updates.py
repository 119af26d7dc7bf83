"""Updating many stored rows by id in few statements, values prepared as Django would
prepare them (the companion of :mod:`.inserts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from comptoir.sync.apply.inserts import _as_is, _prepared

# Parameters per ``UPDATE ... FROM (VALUES ...)`` on PostgreSQL (its bound is 65,535).
MAX_PARAMS = 30000


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Any]) -> None:
    """Set ``columns`` (attnames) of existing rows: ``rows`` are tuples ``(id, *values)``
    in that order. PostgreSQL: one ``UPDATE ... FROM (VALUES ...)`` per up to
    :data:`MAX_PARAMS` values, each column cast to its type; SQLite: one prepared
    ``UPDATE ... WHERE id = ?`` run for every row (``executemany``, no round trips).
    Values are prepared by their fields, as ``bulk_update`` does; nothing is captured or
    checked here, and ids that match no row are ignored."""
    if not rows or not columns:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    pk = model._meta.pk
    assert pk is not None
    fields = [pk, *(by_attname[name] for name in columns)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        db = cursor.db
        plain = [_as_is(f, db.vendor, db.timezone_name) for f in fields]
        prepared = [
            [
                _prepared(f, value, kinds, db)
                for f, kinds, value in zip(fields, plain, row, strict=True)
            ]
            for row in rows
        ]
        if db.vendor != "postgresql":
            sets = ", ".join(f"{quote(f.column)} = %s" for f in fields[1:])
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s",
                [[*values[1:], values[0]] for values in prepared],
            )
            return
        types = [f.db_type(db) for f in fields]
        names = ", ".join(quote(f.column) for f in fields)
        sets = ", ".join(
            f"{quote(f.column)} = v.{quote(f.column)}::{t}"
            for f, t in zip(fields[1:], types[1:], strict=True)
        )
        first = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
        other = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, MAX_PARAMS // len(fields))
        for start in range(0, len(prepared), per_statement):
            batch = prepared[start : start + per_statement]
            values = ", ".join([first, *[other] * (len(batch) - 1)])
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v ({names}) "
                f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}",
                [value for row in batch for value in row],
            )
