"""On SQLite, the synced tables refuse what PostgreSQL refuses.

SQLite ignores ``varchar(150)``, stores NUL in text, takes any 64-bit integer in an
``integer`` column and any number in a ``decimal(5, 2)``. PostgreSQL refuses all of
these, so a row a till stored could be refused by the hub. The services already refuse
them (:mod:`comptoir.sync.wire.checks`); these triggers make the database itself refuse
them too, whatever writes (raw SQL, a shell, a bug). They are declared from the models,
one ``BEFORE INSERT`` and one ``BEFORE UPDATE`` trigger per synced table, and re-created
after every ``migrate`` (a migration that rebuilds a table drops its triggers, and a new
limit must replace the old one), so no migration carries them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations

from comptoir.lib import db
from comptoir.sync import registry

MESSAGE = "comptoir: a value the hub database would refuse"
PREFIX = "comptoir_bounds_"
INT64 = BaseDatabaseOperations.integer_field_ranges["BigIntegerField"]


def conditions(model: type[models.Model], quote: Any) -> list[str]:
    """SQL conditions on ``NEW`` that are true when a row holds a value PostgreSQL refuses."""
    out = []
    for field in model._meta.concrete_fields:
        column = f"NEW.{quote(field.column)}"
        if isinstance(field, models.CharField | models.TextField):
            out.append(f"instr({column}, char(0)) > 0")
            if field.max_length is not None:
                out.append(f"length({column}) > {int(field.max_length)}")
        elif isinstance(field, models.DecimalField):
            digits, places = int(field.max_digits or 0), int(field.decimal_places or 0)
            out.append(f"abs({column}) >= {10 ** (digits - places)}")
            out.append(f"round({column}, {places}) != {column}")
        else:
            limits = BaseDatabaseOperations.integer_field_ranges.get(field.get_internal_type())
            if limits is not None and tuple(limits) != INT64:
                out.append(f"{column} NOT BETWEEN {int(limits[0])} AND {int(limits[1])}")
    return out


def install_bounds_triggers(connection: BaseDatabaseWrapper) -> None:
    """(Re)create the triggers of every synced table present, on SQLite only."""
    if connection.vendor != "sqlite":
        return
    quote = connection.ops.quote_name
    tables = set(connection.introspection.table_names())
    synced = [spec.model for spec in registry.references()]
    synced += [spec.model for spec in registry.facts()]
    with connection.cursor() as cursor:
        for model in synced:
            table = model._meta.db_table
            if table not in tables:
                continue
            where = " OR ".join(f"({c})" for c in conditions(model, quote))
            for event in ("insert", "update"):
                name = quote(f"{PREFIX}{table}_{event}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                if where:
                    cursor.execute(
                        f"CREATE TRIGGER {name} BEFORE {event.upper()} ON {quote(table)} "
                        f"WHEN {where} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                    )


def after_migrate(using: str, **kwargs: Any) -> None:
    from django.db import connections

    install_bounds_triggers(connections[using])
    # Facts are immutable in the database too: a migration that rebuilt a fact's table
    # (SQLite, to add a column) dropped its trigger; it is put back here.
    db.immutability_ensured(
        connections[using], [spec.model._meta.db_table for spec in registry.facts()]
    )
