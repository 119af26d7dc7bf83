"""Database-level guards: triggers that refuse UPDATE (and DELETE where safe) on fact tables;
and :func:`database_error_message`, the plain words for a database that cannot be written,
read or reached.

The ORM already refuses to modify facts (``FactModel``); these triggers also stop raw SQL,
``QuerySet.update`` bypasses and database shells. DELETE is refused by a trigger on
PostgreSQL only: test databases are emptied with TRUNCATE there, which row triggers do not
see, whereas SQLite empties them with DELETE. The ORM refuses deletes on both.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, migrations, transaction
from django.utils.translation import gettext as _

MESSAGE = "comptoir: facts are immutable"

# SQLite primary result codes (``sqlite3`` exposes extended ones: keep the low byte).
SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN = 8, 10, 11, 13, 14
SQLITE_NOTADB = 26
PG_DISK_FULL = "53100"
# What SQLite says of a file that is a database, but not comptoir's (empty, another
# program's): a table or a column that every comptoir database has is not there.
FOREIGN_SQLITE = ("no such table", "no such column")
# SQLSTATE classes of a PostgreSQL that cannot be reached or has gone away (none at all:
# the client could not connect), and of one that refuses us (role, password, database).
PG_GONE = ("08", "57P")
PG_REFUSED = ("28", "3D")


def database_error_message(exc: BaseException) -> str | None:
    """A French sentence for a database that cannot be written (:func:`storage_error_message`),
    read (a damaged or foreign SQLite file) or reached (PostgreSQL down, unreachable, or
    refusing our credentials); None for any other error, which stays a bug to report.
    """
    if isinstance(exc, DatabaseError) and (message := storage_error_message(exc)):
        return message
    cause = exc.__cause__ or exc
    code = getattr(cause, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return _(
            "la base de données de ce poste est endommagée (fichier tronqué ou qui n'est pas "
            "une base SQLite) : rien n'a été modifié, restaurez-la depuis une sauvegarde."
        )
    if isinstance(code, int) and str(cause).startswith(FOREIGN_SQLITE):
        return _foreign_message()
    # No psycopg imported: the error cannot be one of its (a till never loads it).
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(cause, psycopg.OperationalError):
        return None
    state = cause.sqlstate or ""
    if not state or state.startswith(PG_GONE):
        return _(
            "la base de données PostgreSQL ne répond pas : vérifiez qu'elle est démarrée et "
            "joignable à l'adresse database_url de comptoir.toml, puis recommencez."
        )
    if state.startswith(PG_REFUSED):
        return _(
            "la base de données PostgreSQL refuse la connexion : vérifiez l'utilisateur, le mot "
            "de passe et le nom de la base dans database_url de comptoir.toml."
        )
    return None


def _foreign_message() -> str:
    return _(
        "la base de données de ce poste n'a pas les tables de comptoir (base vide, d'un "
        "autre programme, ou d'une autre version) : rien n'a été modifié, restaurez-la "
        "depuis une sauvegarde (« comptoir restore »)."
    )


def sqlite_file_message(path: Path) -> str | None:
    """A French sentence for a till's database file that is missing, empty or another
    program's, checked read-only before anything opens it for writing (SQLite would create
    an empty database in place of a missing one, and the connection's set-up would switch
    another program's to WAL); None otherwise (a file that is not SQLite at all is told
    when it is opened, by :func:`database_error_message`; whether a comptoir database is
    sound is for ``PRAGMA quick_check`` to say, ``comptoir.health``)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return _(
            "la base de données de ce poste est introuvable (%(path)s) : rien n'a été créé. "
            "Si elle a été perdue, restaurez la dernière sauvegarde avec « comptoir restore "
            "FICHIER --home %(home)s --force »."
        ) % {"path": path, "home": path.parent}
    except OSError as exc:
        return _("impossible de lire la base de données %(path)s : %(error)s.") % {
            "path": path,
            "error": exc.strerror or exc,
        }
    if size == 0:
        return _(
            "la base de données de ce poste est vide (%(path)s, 0 octet) : rien n'a été "
            "modifié. Restaurez la dernière sauvegarde avec « comptoir restore FICHIER --home "
            "%(home)s --force »."
        ) % {"path": path, "home": path.parent}
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
    except sqlite3.Error:
        return None
    return None if found else _foreign_message()


def storage_error_message(exc: DatabaseError) -> str | None:
    """A French sentence for a write refused by the storage (disk full, read-only home,
    I/O error), or None for any other database error.

    The transaction that hit it was rolled back: nothing of it was written, and what was
    committed before is untouched. Said plainly to the cashier instead of a traceback.
    """
    cause = exc.__cause__ or exc
    code = getattr(cause, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == SQLITE_FULL or getattr(cause, "sqlstate", None) == PG_DISK_FULL:
        return _(
            "le disque est plein : rien n'a été enregistré. Libérez de la place, puis "
            "recommencez (ce qui a été validé avant est conservé)."
        )
    if primary == SQLITE_READONLY:
        return _(
            "le dossier de données est en lecture seule : rien n'a été enregistré. Vérifiez "
            "le disque et ses droits d'écriture, puis recommencez (ce qui a été validé avant "
            "est conservé)."
        )
    if primary == SQLITE_IOERR:
        return _(
            "erreur d'écriture sur le disque (plein ou défaillant ?) : rien n'a été "
            "enregistré. Vérifiez le disque, puis recommencez."
        )
    if primary == SQLITE_CANTOPEN:
        return _(
            "impossible d'ouvrir la base de données : vérifiez que le disque est présent et "
            "accessible en écriture."
        )
    return None


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


def _trigger_present(cursor: Any, vendor: str, table: str) -> bool:
    if vendor == "sqlite":
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [f"{table}_immutable_upd"],
        )
    else:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = %s AND NOT tgisinternal",
            [f"{table}_immutable"],
        )
    return cursor.fetchone() is not None


def immutability_ensured(connection: Any, tables: Iterable[str]) -> list[str]:
    """Install the immutability trigger(s) on each of ``tables`` that lacks them; the
    tables it was missing on. After every ``migrate``: SQLite rebuilds a table to add or
    alter a column, without its triggers, and no migration should have to remember."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return []
    present = set(connection.introspection.table_names())
    missing = []
    with connection.cursor() as cursor:
        for table in tables:
            if table in present and not _trigger_present(cursor, vendor, table):
                missing.append(table)
    if missing:
        with connection.cursor() as cursor:
            executor = _Executor(connection, cursor)
            for table in missing:
                _create(None, executor, table)
    return missing


class _Executor:
    """What ``_create`` needs of a schema editor, on a plain cursor (a schema editor is
    refused inside a transaction on SQLite, and creating a trigger needs none)."""

    def __init__(self, connection: Any, cursor: Any) -> None:
        self.connection, self.cursor = connection, cursor

    def execute(self, sql: str) -> None:
        self.cursor.execute(sql)


def immutable_table(table: str) -> migrations.RunPython:
    """A migration operation installing the immutability trigger(s) on ``table``."""

    def forward(apps: Any, schema_editor: Any) -> None:
        _create(apps, schema_editor, table)

    def backward(apps: Any, schema_editor: Any) -> None:
        _drop(apps, schema_editor, table)

    return migrations.RunPython(forward, backward, elidable=False)


@contextmanager
def immutability_lifted(table: str) -> Iterator[None]:
    """Lift the immutability trigger of ``table`` for what runs inside, in the caller's
    transaction (required: the trigger is back before anything commits, and a failure
    rolls its removal back with the rest). For the one write that completes a fact with
    values its post could not hold before an upgrade (``syncengine.refill``)."""
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("immutability_lifted needs a transaction")
    vendor = connection.vendor
    with connection.cursor() as cursor:
        guarded = vendor in ("sqlite", "postgresql") and _trigger_present(cursor, vendor, table)
        if guarded and vendor == "sqlite":
            cursor.execute(f'DROP TRIGGER "{table}_immutable_upd"')
        elif guarded:
            # (PostgreSQL alters no table with checks pending: the deferred foreign keys
            # are checked now, then deferred again.)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{table}_immutable"')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    if not guarded:
        return
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(
                f'CREATE TRIGGER "{table}_immutable_upd" BEFORE UPDATE ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{table}_immutable"')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
