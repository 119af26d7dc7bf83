"""Stored rows read in their wire form: reference rows with their clocks, whole fact
aggregates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE
from django.utils import timezone

from comptoir.sync import registry
from comptoir.sync.wire.values import Convert, to_wire

CHUNK = 500  # ids per IN (...) query


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
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # nothing to read (an empty IN)
        return
    expressions = [select[0] for select in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(expressions)
    db = compiler.connection
    steps = [
        _column_to_wire(expression, converters.get(i, ((), None))[0], db)
        for i, expression in enumerate(expressions)
    ]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            from psycopg.types.datetime import TimestamptzLoader

            # psycopg's compiled loader for instants: Django's (which only swaps the
            # zone for its own UTC) is pure Python, a third of a pull's reading. Both
            # read in the session's zone, UTC: the same isoformat().
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(GET_ITERATOR_CHUNK_SIZE):
            for row in chunk:
                yield {
                    name: step(value) for name, step, value in zip(names, steps, row, strict=True)
                }


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
