"""Updating many stored rows by id in few statements, values prepared as Django would
prepare them (the companion of :mod:`.inserts`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models

from comptoir.sync.inserts import _as_is, _prepared

# Parameters per ``UPDATE ... FROM (VALUES ...)`` on PostgreSQL (its bound is 65,535).
MAX_PARAMS = 30000


def update_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    same: Mapping[str, Any] | None = None,
    merge: Mapping[str, dict[str, Any]] | None = None,
) -> None:
    """Set ``columns`` (attnames) of existing rows: ``rows`` are ``(id, *values)`` in
    that order; ``same``: columns set to one value on every row; ``merge``: JSON object
    columns into which one object's keys are merged on every row (the stored keys it
    does not name stay).

    PostgreSQL: one ``UPDATE ... FROM (VALUES ...)`` per up to :data:`MAX_PARAMS` values,
    each column cast to its type; SQLite: one prepared ``UPDATE ... WHERE id = ?`` run
    for every row (``executemany``: no round trips). Values are prepared by their fields,
    as ``bulk_update`` does; nothing is captured or checked here, and an id that matches
    no row is ignored."""
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    pk = model._meta.pk
    assert pk is not None
    fields = [pk, *(by_attname[name] for name in columns)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        db = cursor.db  # the connection itself, not the per-context proxy
        postgres = db.vendor == "postgresql"
        sets, params = [], []
        for name, value in (same or {}).items():
            field = by_attname[name]
            sets.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(value, db))
        for name, patch in (merge or {}).items():
            column = quote(by_attname[name].column)
            if postgres:
                sets.append(f"{column} = COALESCE({table}.{column}, '{{}}') || %s::jsonb")
            else:
                sets.append(f"{column} = json_patch(COALESCE({column}, '{{}}'), %s)")
            params.append(json.dumps(patch))
        plain = [_as_is(f, db.vendor, db.timezone_name) for f in fields]
        prepared = [
            [
                _prepared(f, value, kinds, db)
                for f, kinds, value in zip(fields, plain, row, strict=True)
            ]
            for row in rows
        ]
        if not postgres:
            sets = [f"{quote(f.column)} = %s" for f in fields[1:]] + sets
            cursor.executemany(
                f"UPDATE {table} SET {', '.join(sets)} WHERE {quote(pk.column)} = %s",
                [[*values[1:], *params, values[0]] for values in prepared],
            )
            return
        types = [f.db_type(db) for f in fields]
        names = ", ".join(quote(f.column) for f in fields)
        sets = [
            f"{quote(f.column)} = v.{quote(f.column)}::{t}"
            for f, t in zip(fields[1:], types[1:], strict=True)
        ] + sets
        first = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
        other = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, MAX_PARAMS // len(fields))
        for start in range(0, len(prepared), per_statement):
            batch = prepared[start : start + per_statement]
            values = ", ".join([first, *[other] * (len(batch) - 1)])
            cursor.execute(
                f"UPDATE {table} SET {', '.join(sets)} FROM (VALUES {values}) AS v ({names}) "
                f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}",
                [*params, *(value for row in batch for value in row)],
            )
