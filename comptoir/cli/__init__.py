"""The ``comptoir`` console entry point.

``--home`` (or ``COMPTOIR_HOME``) is read before Django starts, because the home decides
the settings (role, database). ``hub init`` and ``node init`` create a home and then
migrate it (``homes``); every other sub-command is a Django management command. The
commands' names and suggestions are in ``commands``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comptoir.cli.commands import unknown_command, usage
from comptoir.cli.errors import Refused, fail
from comptoir.cli.homes import django_setup, home_config, home_init, home_restore
from comptoir.console import (
    _,
    language_of,
    reader_may_leave,
    speak,
    streams_without_console,
)
from comptoir.home import HOME_ENV, POOL_ENV, SERVING_ENV, resolve_home
from comptoir.lib.management.names import ALIASES
from comptoir.lib.text import terminal_safe

# Seconds the entry point waits for PostgreSQL before saying that it does not answer.
PROBE_TIMEOUT = 10


def _not_utf8(args: Sequence[str]) -> str | None:
    """The first argument that held bytes that are not UTF-8, as the user can read it.

    Python hands such bytes over as lone surrogates (``surrogateescape``), which nothing
    can store or print: refused here, before any command sees them.
    """
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape")
            return raw.decode("utf-8", "backslashreplace")
    return None


def _probe_database(connection: Any) -> None:
    """Open and close one connection like ``connection``'s, outside any pool (which would
    retry for half a minute), and waiting at most ``PROBE_TIMEOUT`` for PostgreSQL."""
    probe = connection.copy()
    options = probe.settings_dict["OPTIONS"]
    options.pop("pool", None)
    if probe.vendor == "postgresql":
        options.setdefault("connect_timeout", PROBE_TIMEOUT)
    try:
        probe.ensure_connection()
    finally:
        probe.close()


def _run_command(args: list[str]) -> int:
    """A Django management command, after a first connection to the database: a missing,
    empty, damaged, foreign, unreachable or refusing database is then a sentence, whichever
    command (or ``--help``) was asked for, and so is one that fails while the command runs."""
    from django.core.management import execute_from_command_line
    from django.db import Error, connections

    from comptoir.lib.db import database_error_message, sqlite_file_message

    connection = connections["default"]
    if connection.vendor == "sqlite":
        # Opening a missing file would create an empty database in its place.
        message = sqlite_file_message(Path(connection.settings_dict["NAME"]))
        if message is not None:
            return fail(message)
    try:
        _probe_database(connection)
        execute_from_command_line(["comptoir", *args])
    except (Error, sqlite3.Error) as exc:
        message = database_error_message(exc)
        if message is None:
            raise
        return fail(message)
    return 0


def _without_home(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--home":
            skip = True
        elif not arg.startswith("--home="):
            out.append(arg)
    return out


def _archive_verify(args: list[str], language: str) -> int:
    """``journal archive-verify``: checks an archive on any machine, with no home and no
    database; Django's settings without a home are enough for its texts."""
    os.environ.pop(HOME_ENV, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django
    from django.utils import translation

    django.setup()
    translation.activate(language)
    from comptoir.fiscal.command import archive_verify

    code, out, error = archive_verify(args)
    if out is not None:
        print(terminal_safe(out))
    return code if error is None else fail(error, code)


@reader_may_leave
def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--home")
    known, _rest = pre.parse_known_args(args)
    home = resolve_home(known.home)
    streams_without_console(home)
    # The home's language, French without one; ``init`` has its own ``--language``.
    speak(language_of(home))
    undecodable = _not_utf8(args)
    if undecodable is not None:
        return fail(
            _(
                "l'argument « %(arg)s » n'est pas du texte UTF-8 valide : vérifiez l'encodage "
                "du terminal ou du fichier qui l'a fourni."
            )
            % {"arg": undecodable}
        )
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if args[0] == "--version":
        from comptoir import __version__

        print(__version__)
        return 0
    if len(args) >= 2 and args[0] in ("hub", "node") and args[1] == "init":
        return home_init(args[0], args[2:])
    if args[0] == "demo":
        from comptoir.demo import run_demo

        return run_demo(args[1:])
    if args[0] == "restore":
        return home_restore(args[1:])
    if _without_home(args)[:2] == ["journal", "archive-verify"]:
        return _archive_verify(_without_home(args)[2:], language_of(home))

    args[0] = ALIASES.get(args[0], args[0])
    if args[0] in ("serve", "start"):
        # What only a server does (``comptoir.asgi``), in its every process; and a served
        # hub on PostgreSQL borrows connections from a pool (see settings), where commands
        # run once and keep Django's connection per use.
        os.environ[SERVING_ENV] = "1"
        os.environ.setdefault(POOL_ENV, "20")

    try:
        config = home_config(home)
    except Refused as refused:
        return fail(str(refused))
    wants_help = "-h" in args or "--help" in args
    # The home is chosen here; commands that do not know --home (Django's own: shell,
    # migrate...) must not see it.
    args = _without_home(args)
    if not args:
        print(usage())
        return 0
    if config is None:
        # Help, and the list of commands, need no home: the settings without one are enough.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
        import django
        from django.core.management import execute_from_command_line

        django.setup()
        unknown = unknown_command(args[0])
        if unknown is not None:
            return fail(unknown)
        if wants_help:
            execute_from_command_line(["comptoir", *args])
            return 0
        return fail(
            _(
                "aucun comptoir n'est initialisé dans %(home)s. Lancez « comptoir hub init "
                "--home DIR » ou « comptoir node init --home DIR »."
            )
            % {"home": home}
        )
    django_setup(home)
    unknown = unknown_command(args[0])
    if unknown is not None:
        return fail(unknown)
    return _run_command(args)
