"""Reference rows written in bulk from plain values (the CSV import's fast paths), as
local writes: checked, clock-stamped and captured for sync exactly as a ``save`` would.

Reached through ``ReferenceQuerySet.insert_values`` / ``update_values``
(``Model.objects.insert_values(rows)``).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from comptoir.lib.ids import new_id


def insert_values(
    queryset: models.QuerySet[Any], rows: Sequence[dict[str, Any]], *, stamp: str = ""
) -> list[Any]:
    """Insert new rows given as ``{attname: Python value}``, without building an
    instance each (a CSV import writes thousands a second this way); returns their ids.

    A local write like :meth:`bulk_create`: every synced field stamped with one new
    clock value, each row captured for sync, in one transaction. Rows are written by
    the sync engine's fast path (``COPY`` on PostgreSQL), values prepared as Django
    prepares them. Columns a row leaves out take their default, evaluated once for
    the whole call (the rows are born at one instant), but the id, drawn per row.
    ``stamp``: a clock value ``clock.tick()`` gave for this same write (one tick for
    the several tables a write fills), else a new one is drawn. No savepoint: rows
    are all inserted, or the caller's transaction fails.
    """
    from comptoir.sync import capture, clock, registry
    from comptoir.sync.inserts import insert_rows
    from comptoir.sync.wire import record_type

    if not rows:
        return []
    model: type[models.Model] = queryset.model
    label = registry.label_of(model)
    spec = registry.reference_spec(label)
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    unknown = set().union(*rows) - set(names)
    if unknown:
        raise TypeError(f"{label}: unknown columns {sorted(unknown)}")
    pk = model._meta.pk.attname
    record = record_type(model)
    with transaction.atomic(savepoint=False):
        defaults: dict[str, Any] = {f.attname: f.get_default() for f in fields if f.attname != pk}
        if spec is not None and capture.applying_origin() is None:
            defaults["sync_clocks"] = dict.fromkeys(spec.fields, stamp or clock.tick())
        records = [
            record._make(
                [row[n] if n in row else (new_id() if n == pk else defaults[n]) for n in names]
            )
            for row in rows
        ]
        capture.check_local(model, records)
        insert_rows(model, records)
        if spec is not None:
            capture.record((label, r.pk, None) for r in records)
    return [r.pk for r in records]


def update_values(
    queryset: models.QuerySet[Any], rows: Sequence[dict[str, Any]], *, stamp: str = ""
) -> dict[Any, tuple[str, ...]]:
    """Update existing rows given as ``{pk attname: id, attname: new value, ...}`` in
    a few statements (a CSV re-import updates thousands a second this way); returns,
    for each row actually changed, the attnames it changed.

    A local write like a :meth:`ReferenceModel.save` of each row: the rows are locked
    and read (on the hub the change-log lock is taken first, then the rows, then the
    clock: one order everywhere); a value equal to the stored one is left alone; the
    new values are checked (``capture.check_local``); each changed row is written
    (one statement per set of changed fields), its changed synced fields stamped with
    one clock value for the whole call (merged into its ``sync_clocks``), its
    ``updated_at`` set, and captured for sync. A row with nothing new is neither
    written nor captured. ``stamp``: a clock value ``clock.tick()`` gave for this
    same write, else one is drawn once the rows are locked. Values are Python values
    as the model holds them. No savepoint: a refusal fails the caller's transaction.
    """
    from comptoir.sync import capture, clock, registry
    from comptoir.sync.updates import update_rows

    if not rows:
        return {}
    model: type[models.Model] = queryset.model
    label = registry.label_of(model)
    spec = registry.reference_spec(label)
    pk = model._meta.pk.attname
    given = set().union(*rows) - {pk}
    names = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    unknown = given - set(names) | given & {"sync_clocks", "updated_at"}
    if unknown or any(pk not in row for row in rows):
        raise TypeError(f"{label}: cannot set {sorted(unknown)}, or a row has no {pk}")
    wanted = {row[pk]: row for row in rows}
    if len(wanted) != len(rows):
        raise ValueError(f"{label}: a row is given twice")
    local = capture.applying_origin() is None
    synced = set(spec.fields) if spec is not None else set()
    with transaction.atomic(savepoint=False):
        stored: dict[Any, tuple[Any, ...]] = {}
        clocks: dict[Any, dict[str, str]] = {}  # each row's sync_clocks before the write
        ids = sorted(wanted, key=str)
        for start in range(0, len(ids), UPDATE_LOOKUP_BATCH):
            query = (
                queryset.select_for_update(no_key=True)
                .filter(pk__in=ids[start : start + UPDATE_LOOKUP_BATCH])
                .order_by("pk")
                .values_list(pk, "sync_clocks", *names)
            )
            for values in query:
                stored[values[0]] = values[2:]
                clocks[values[0]] = values[1] or {}
        missing = [i for i in ids if i not in stored]
        if missing:
            raise ValueError(f"{label}: no row {missing[0]}")
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        changed: dict[Any, tuple[str, ...]] = {}
        for row_id, row in wanted.items():
            old = dict(zip(names, stored[row_id], strict=True))
            columns = tuple(n for n in names if n in row and old[n] != row[n])
            if columns:
                changed[row_id] = columns
                groups.setdefault(columns, []).append((row_id, *(row[n] for n in columns)))
        if not changed:
            return {}
        for columns, values in groups.items():
            if spec is not None:
                light = _light_record(columns)
                capture.check_local(model, [light._make(v[1:]) for v in values], columns)
        if local and spec is not None and not stamp:
            stamp = clock.tick()
        now = timezone.now()
        for columns, values in groups.items():
            clocked = [n for n in columns if n in synced]
            update_rows(
                model,
                columns,
                values,
                same={"updated_at": now} if local else None,
                merge=(
                    {"sync_clocks": dict.fromkeys(clocked, stamp)} if local and clocked else None
                ),
            )
        if spec is not None:
            # As ``save`` does: each edited field's clock before this edit, so that
            # the hub tells a plain successor from a concurrent edit.
            bases = {
                (label, row_id): {n: clocks[row_id].get(n, "") for n in columns if n in synced}
                for row_id, columns in changed.items()
            }
            capture.record(
                [(label, row_id, None) for row_id in changed], bases=bases if local else None
            )
    return changed


# Rows read (and locked) per query by ``update_values``: within SQLite's 999 parameters.
UPDATE_LOOKUP_BATCH = 900


@functools.cache
def _light_record(columns: tuple[str, ...]) -> Any:
    """A named tuple of the columns an update writes, read like an instance by the checks."""
    return collections.namedtuple("UpdatedRow", columns)
