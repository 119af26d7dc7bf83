"""Concurrency-safe increments of derived rows (stock levels, statistics)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection, models


def rows_add(
    model: type[models.Model],
    keys: tuple[str, ...],
    rows: dict[tuple[Any, ...], dict[str, Any]],
    *,
    chunk: int = 500,
) -> None:
    """Add many increments at once: ``rows`` maps key values (in ``keys`` order, attnames)
    to increments (attname -> amount). One ``INSERT ... ON CONFLICT (keys) DO UPDATE SET
    f = f + excluded.f`` per chunk, on PostgreSQL and SQLite alike.

    Two transactions adding to the same new row never lose an increment nor fail on the
    unique constraint. Rows are written in key order, so that two transactions adding
    to the same rows lock them in the same order. ``keys`` must be the columns of a
    unique constraint of ``model``; the other columns of a new row take their default.
    """
    if not rows:
        return
    meta = model._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    added = sorted({name for increments in rows.values() for name in increments})
    others = [
        f.attname
        for f in meta.concrete_fields
        if not f.primary_key and f.attname not in keys and f.attname not in added
    ]
    columns = [*keys, *added, *others]
    defaults = {name: fields[name].get_default() for name in [*added, *others]}
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(quote(fields[c].column) for c in columns)}) VALUES "
    tail = (
        f" ON CONFLICT ({', '.join(quote(fields[k].column) for k in keys)}) DO UPDATE SET "
        + ", ".join(
            f"{quote(fields[a].column)} = {table}.{quote(fields[a].column)} "
            f"+ excluded.{quote(fields[a].column)}"
            for a in added
        )
    )
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ordered = sorted(rows.items(), key=lambda item: tuple(str(v) for v in item[0]))
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), chunk):
            part = ordered[start : start + chunk]
            params: list[Any] = []
            for key_values, increments in part:
                values = dict(zip(keys, key_values, strict=True))
                for name in columns:
                    if name in values:
                        value = values[name]
                    elif name in defaults and name not in increments:
                        value = defaults[name] if name in others else _zero(defaults[name])
                    else:
                        value = increments[name]
                    params.append(fields[name].get_db_prep_value(value, connection))
            cursor.execute(head + ", ".join([marks] * len(part)) + tail, params)


def _zero(default: Any) -> Any:
    return Decimal(0) if isinstance(default, Decimal) else 0
