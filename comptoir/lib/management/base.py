"""The base of comptoir's CLI commands: ``--home``, ``--json`` and French errors.

Commands are Django management commands run through the ``comptoir`` entry point, which
reads ``--home`` before Django starts (see ``comptoir.cli``). A :class:`ComptoirError`
raised by a service is printed to stderr as a plain sentence with exit code 2; no
traceback reaches the user for bad input, nor for a database the disk refuses to write,
that is damaged or that cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn, TextIO, cast
from uuid import UUID

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
    OutputWrapper,
    SystemCheckError,
)
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.lib.argtexts import SpeakingParser
from comptoir.lib.db import database_error_message
from comptoir.lib.errors import ComptoirError
from comptoir.lib.management.names import typed_name
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


class ComptoirParser(SpeakingParser, CommandParser):
    """A command's parser: argparse's texts in the active language, no abbreviated long
    options, errors as one sentence with exit code 2 (see :class:`SpeakingParser`). Called
    from Python (``call_command``), an error is a ``CommandError`` as Django raises it."""

    def gettext(self, message: str) -> str:
        return _(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)

    def error(self, message: str) -> NoReturn:
        if not self.called_from_command_line:
            raise CommandError(message)
        SpeakingParser.error(self, message)


# Django's options of every command, still accepted (Django's ``execute`` reads them) but
# left out of the help and the usage: they are not comptoir's (``--settings``,
# ``--pythonpath``...). Django's ``--version`` (its own version) is not taken at all.
HIDDEN_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("-v", "--verbosity"), {"default": 1, "type": int, "choices": [0, 1, 2, 3]}),
    (("--settings",), {}),
    (("--pythonpath",), {}),
    (("--traceback",), {"action": "store_true"}),
    (("--no-color",), {"action": "store_true"}),
    (("--force-color",), {"action": "store_true"}),
)


class ComptoirCommand(BaseCommand):
    """Adds ``--home`` (consumed by the entry point) and, if ``json_output``, ``--json``.
    What it prints goes through :class:`TerminalOutput`; its help, usage and errors are in
    the home's language and show only comptoir's options (:class:`ComptoirParser`)."""

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
        # Django's ``BaseCommand.create_parser``, with comptoir's parser and options.
        kwargs.setdefault("formatter_class", DjangoHelpFormatter)
        parser = ComptoirParser(
            prog=f"{os.path.basename(prog_name)} {typed_name(subcommand)}",
            description=self.help or None,
            missing_args_message=getattr(self, "missing_args_message", None),
            called_from_command_line=getattr(self, "_called_from_command_line", None),
            **kwargs,
        )
        for names, options in HIDDEN_OPTIONS:
            parser.add_argument(*names, help=argparse.SUPPRESS, **options)
        if self.requires_system_checks:
            parser.add_argument("--skip-checks", action="store_true", help=argparse.SUPPRESS)
        with parser.speaking():
            self.add_arguments(parser)
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
