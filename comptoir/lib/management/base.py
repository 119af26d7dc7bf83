"""The base of comptoir's CLI commands: ``--home``, ``--json`` and French errors.

Commands are Django management commands run through the ``comptoir`` entry point, which
reads ``--home`` before Django starts (see ``comptoir.cli``). A :class:`ComptoirError`
raised by a service is printed to stderr as a plain sentence with exit code 2; no
traceback reaches the user for bad input, nor for a database the disk refuses to write,
that is damaged or that cannot be reached.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO, cast
from uuid import UUID

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    OutputWrapper,
    SystemCheckError,
)
from django.db import DatabaseError
from django.utils.translation import gettext as _

from comptoir.lib.db import database_error_message
from comptoir.lib.errors import ComptoirError
from comptoir.lib.text import terminal_safe

EXIT_USER_ERROR = 2


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _error(message: object) -> None:
    sys.stderr.write(terminal_safe(_("Erreur : %(message)s") % {"message": message}) + "\n")


class TerminalOutput(OutputWrapper):
    """Shows control characters as ``\\u001b`` escapes: stored text that came from elsewhere
    (a hub, an old import) cannot drive the terminal; JSON reads them back unchanged."""

    def write(  # type: ignore[override]
        self,
        msg: str = "",
        style_func: Callable[[str], str] | None = None,
        ending: str | None = None,
    ) -> None:
        super().write(terminal_safe(msg), style_func, ending)


class ComptoirCommand(BaseCommand):
    """Adds ``--home`` (consumed by the entry point) and, if ``json_output``, ``--json``.
    What it prints goes through :class:`TerminalOutput`."""

    json_output = False
    requires_system_checks: list[str] = []

    @property
    def stdout(self) -> OutputWrapper:
        return self._terminal_stdout

    @stdout.setter
    def stdout(self, wrapper: OutputWrapper) -> None:
        # Django sets a plain wrapper in __init__ and again in execute() (``stdout=``).
        if not isinstance(wrapper, TerminalOutput):
            wrapper = TerminalOutput(cast(TextIO, wrapper._out), ending=wrapper.ending)
        self._terminal_stdout = wrapper

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--home", help=_("dossier de données (sinon COMPTOIR_HOME ou le dossier par défaut)")
        )
        if self.json_output:
            parser.add_argument("--json", action="store_true", help=_("sortie JSON"))
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except ComptoirError as exc:
            _error(exc.message)
            sys.exit(EXIT_USER_ERROR)
        except DatabaseError as exc:
            # Disk full, read-only home, damaged file, PostgreSQL down...: a sentence for
            # the cashier, not a traceback.
            message = database_error_message(exc)
            if message is None:
                raise
            _error(message)
            sys.exit(EXIT_USER_ERROR)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            # Django would print "CommandError: ..."; our users read French.
            cli = getattr(self, "_called_from_command_line", False)
            if not cli or isinstance(exc, SystemCheckError) or options.get("traceback"):
                raise
            _error(exc)
            sys.exit(exc.returncode)

    def emit_json(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2))
