"""A post upgraded in place takes again the values its previous version could not hold.

A hub serves a post of the previous schema in that schema (:mod:`.schemas`): its pages
carry only the models and fields it knows. A fact received then is stored without the
fields the newer schema added (a technical event of the hub's post without its chain
fields), and a fact is never rewritten: once upgraded, the post would hold it so for
ever, and ``verify`` would differ. The same holds for any field a newer schema adds to a
synced model, and for the rows of a model the older schema did not sync at all.

So, when ``comptoir serve`` migrates a post's database (:func:`comptoir.ops.upgrade
.migrate_at_start`), it first notes which columns of synced models that database lacks
(:func:`lacking`): the fields and models its previous version could not hold. The home is
marked (``upgrade-refill.json``, kept in backups), and the post's next sync pulls the hub's
whole log again (:func:`comptoir.syncengine.engine.sync`), applying it with **the fill
rule** (:func:`fill_plan`): a fact already held, whose copy from the hub differs only in
fields noted as lacking where the post holds NULL (or the column's default, what the
migration gave every row), gets those values, once; every other difference is refused as
before (a fact is never changed), and a value the post held is never overwritten.
Reference rows need no rule: the post holds no clock for a field it did not know, and the
per-field merge takes the hub's. Rows of models the post did not know are inserted like
any others. The mark is removed once the whole log was applied.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from comptoir.lib.db import immutability_lifted
from comptoir.sync import registry, wire

log = logging.getLogger("comptoir.sync")

REFILL_MARK = "upgrade-refill.json"


@dataclass(frozen=True)
class Lacking:
    """What a post's database could not hold before its upgrade: fields of synced models
    (attnames, by label) and whole synced models."""

    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    models: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.fields or self.models)

    def merged(self, other: Lacking) -> Lacking:
        names = {k: frozenset(v) for k, v in self.fields.items()}
        for label, more in other.fields.items():
            names[label] = names.get(label, frozenset()) | more
        return Lacking(names, self.models | other.models)

    def as_json(self) -> dict[str, Any]:
        return {
            "fields": {label: sorted(names) for label, names in sorted(self.fields.items())},
            "models": sorted(self.models),
        }


def lacking() -> Lacking:
    """The synced models' columns (and tables) this database does not have yet: read
    before its migrations run."""
    tables = set(connection.introspection.table_names())
    fields: dict[str, frozenset[str]] = {}
    absent: set[str] = set()
    specs: list[Any] = [*registry.references(), *registry.facts()]
    with connection.cursor() as cursor:
        for spec in specs:
            table = spec.model._meta.db_table
            if table not in tables:
                absent.add(spec.label)
                continue
            columns = {
                c.name for c in connection.introspection.get_table_description(cursor, table)
            }
            by_attname = {f.attname: f for f in spec.model._meta.concrete_fields}
            missing = {name for name in spec.fields if by_attname[name].column not in columns}
            if missing:
                fields[spec.label] = frozenset(missing)
    return Lacking(fields, frozenset(absent))


# ---- the mark --------------------------------------------------------------------------


def mark_refill(home: Path, found: Lacking) -> None:
    """Note in ``home`` what its database lacks (with what an earlier mark noted), so that
    its next sync takes it from the hub. Written atomically."""
    before = read_refill_mark(home)
    if before is not None:
        found = before.merged(found)
    path = home / REFILL_MARK
    partial = path.with_name(path.name + ".tmp")
    data = {**found.as_json(), "marked_at": datetime.now(UTC).isoformat()}
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


def read_refill_mark(home: Path) -> Lacking | None:
    """The mark of :func:`mark_refill`, or None. A mark that cannot be read is still a mark
    (the log is pulled again; nothing is filled)."""
    try:
        data = json.loads((home / REFILL_MARK).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return Lacking()
    if not isinstance(data, dict):
        return Lacking()
    names = data.get("fields")
    absent = data.get("models")
    names = names if isinstance(names, dict) else {}
    absent = absent if isinstance(absent, list) else []
    return Lacking(
        {str(k): frozenset(map(str, v)) for k, v in names.items() if isinstance(v, list)},
        frozenset(map(str, absent)),
    )


def pending() -> Lacking | None:
    """This post's mark, when it is a node with a home and has one."""
    home = settings.COMPTOIR_HOME
    if home is None or settings.COMPTOIR_ROLE != "node":
        return None
    return read_refill_mark(Path(home))


def done() -> None:
    home = settings.COMPTOIR_HOME
    if home is not None:
        (Path(home) / REFILL_MARK).unlink(missing_ok=True)


# ---- the fill rule ---------------------------------------------------------------------

_filling: ContextVar[Lacking | None] = ContextVar("comptoir_filling", default=None)


@contextmanager
def filling(found: Lacking) -> Iterator[None]:
    """Apply received facts with the fill rule for ``found`` (a post's pull only)."""
    token = _filling.set(found)
    try:
        yield
    finally:
        _filling.reset(token)


Rows = Mapping[str, list[dict[str, Any]]]
Plan = dict[str, dict[str, dict[str, Any]]]  # label -> row id -> {attname: wire value}


def _unknown_value(model: type[models.Model], attname: str, value: Any) -> bool:
    """A stored value that says nothing: NULL, or the column's default (what the
    migration that added the column gave every row)."""
    if value is None:
        return True
    found = {f.attname: f for f in model._meta.concrete_fields}.get(attname)
    if found is None or not found.has_default():
        return False
    return bool(wire.to_wire(found.get_default()) == value)


def fill_plan(stored: Rows, incoming: Rows, found: Lacking) -> tuple[Plan, Rows] | None:
    """Pure: how a stored aggregate takes the values of ``incoming`` that it could not
    hold (``found``): the updates (label -> id -> values) and the rows to insert (of models
    it did not know), or None when they differ otherwise (a real conflict: refused).

    A field differs fillably only if ``found`` lists it for its model and the stored value
    is NULL or its column's default; the rows of a model are either the same ids on both
    sides or, for a model ``found`` lists as unknown, absent here."""
    updates: Plan = {}
    inserts: dict[str, list[dict[str, Any]]] = {}
    for label in set(stored) | set(incoming):
        here, there = stored.get(label, []), incoming.get(label, [])
        if not here and label in found.models:
            inserts[label] = list(there)
            continue
        mine = {str(r["id"]): r for r in here}
        theirs = {str(r["id"]): r for r in there}
        if set(mine) != set(theirs):
            return None
        spec = registry.fact_spec(label)
        if spec is None:
            return None
        unknown = found.fields.get(label, frozenset())
        for row_id, row in mine.items():
            other = theirs[row_id]
            for name in set(row) | set(other):
                held, value = row.get(name), other.get(name)
                if held == value:
                    continue
                if name not in unknown or not _unknown_value(spec.model, name, held):
                    return None
                updates.setdefault(label, {}).setdefault(row_id, {})[name] = value
    return updates, inserts


def fill(stored: Rows, incoming: Rows, origin: str) -> bool:
    """Apply the fill rule to a fact held here that ``incoming`` (from the hub) carries
    with more: True if it filled it, False if the rule does not apply (then the caller
    refuses the copy as before). Only while :func:`filling` is on. In the caller's
    transaction; the fact's immutability is lifted for these rows' update only."""
    found = _filling.get()
    if found is None or not found:
        return False
    planned = fill_plan(stored, incoming, found)
    if planned is None:
        return False
    updates, inserts = planned
    if not updates and not inserts:
        return False
    from comptoir.sync import capture

    with transaction.atomic():  # (a failure takes the lifted trigger's removal back too)
        _write(updates, inserts, origin, capture)
    log.info(
        "complété après mise à jour : %s",
        ", ".join(f"{label} {', '.join(rows)}" for label, rows in updates.items())
        or ", ".join(inserts),
    )
    return True


def _write(updates: Plan, inserts: Rows, origin: str, capture: Any) -> None:
    for label, rows in updates.items():
        spec = registry.fact_spec(label)
        assert spec is not None
        with immutability_lifted(spec.model._meta.db_table):
            for row_id, values in rows.items():
                python = {k: wire.from_wire(spec.model, k, v) for k, v in values.items()}
                # A plain queryset: the fact's manager refuses updates, as it should
                # everywhere else.
                models.QuerySet(spec.model).filter(pk=row_id).update(**python)
    for label, items in inserts.items():
        spec = registry.fact_spec(label)
        assert spec is not None
        objs = [wire.build(spec.model, row, spec.fields) for row in items]
        with capture.applying(origin):
            spec.model._default_manager.bulk_create(objs)
