"""Database-level guards: triggers that refuse UPDATE (and DELETE where safe) on fact tables.

The ORM already refuses to modify facts (``FactModel``); these triggers also stop raw SQL,
``QuerySet.update`` bypasses and database shells. DELETE is refused by a trigger on
PostgreSQL only: test databases are emptied with TRUNCATE there, which row triggers do not
see, whereas SQLite empties them with DELETE. The ORM refuses deletes on both.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

MESSAGE = "comptoir: facts are immutable"


def _create(apps: Any, schema_editor: Any, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_immutable_upd" BEFORE UPDATE ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION comptoir_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_TABLE_NAME, ERRCODE = 'P0001'; "
            "END $$"
        )
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_immutable" BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION comptoir_refuse_change()"
        )


def _drop(apps: Any, schema_editor: Any, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_immutable_upd"')
    elif vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_immutable" ON "{table}"')


def immutable_table(table: str) -> migrations.RunPython:
    """A migration operation installing the immutability trigger(s) on ``table``."""

    def forward(apps: Any, schema_editor: Any) -> None:
        _create(apps, schema_editor, table)

    def backward(apps: Any, schema_editor: Any) -> None:
        _drop(apps, schema_editor, table)

    return migrations.RunPython(forward, backward, elidable=False)
