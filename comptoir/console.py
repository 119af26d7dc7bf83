"""Texts printed outside Django: by the ``comptoir`` entry point and ``comptoir demo``; and
the standard streams of the command line, whatever the terminal (no console at all under
``pythonw``, or a reader that leaves early: ``comptoir --help | head``).

Django's translation cannot serve there: it needs the settings, which need the home. The
standard ``gettext`` reads the same compiled catalogue (``locale/``); French, the source
language, needs none. Call sites import ``_`` (and ``ngettext``) under those names, the
keywords with which ``makemessages`` finds their texts.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Sequence
from gettext import NullTranslations, translation
from pathlib import Path

# The languages of the interface (``settings.LANGUAGES``), known to the home's reader too.
from comptoir.home import LANGUAGES as LANGUAGES
from comptoir.home import ConfigError, config_path, read_config
from comptoir.lib.argtexts import SpeakingParser

LOCALE_DIR = Path(__file__).with_name("locale")


@dataclasses.dataclass
class _Texts:
    """The catalogue the console's texts are read from (none: French)."""

    catalogue: NullTranslations = dataclasses.field(default_factory=NullTranslations)


_texts = _Texts()


def gettext(message: str) -> str:
    return _texts.catalogue.gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return _texts.catalogue.ngettext(singular, plural, n)


class ConsoleParser(SpeakingParser):
    """The parser of a command the entry point runs itself (``init``, ``restore``, ``demo``):
    argparse's texts in the console's language, errors as the rest of the CLI prints them."""

    def gettext(self, message: str) -> str:
        return gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


def speak(language: str) -> None:
    """Print the console's texts in ``language`` from now on (French if it has no catalogue)."""
    _texts.catalogue = translation("django", LOCALE_DIR, languages=[language], fallback=True)


def language_option(argv: Sequence[str]) -> str:
    """``--language``, read before a parser is built in that language. A wrong or missing
    value is left for that parser to report (in French)."""
    pre = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    pre.add_argument("--language")
    try:
        known, _rest = pre.parse_known_args(argv)
    except argparse.ArgumentError:
        return "fr"
    return known.language if known.language in LANGUAGES else "fr"


def language_of(home: Path, default: str = "fr") -> str:
    """The language of the home's texts: its own, ``default`` without one. A damaged
    configuration is not reported here, where usage and help must still print: the
    command that needs it says what is wrong."""
    try:
        config = read_config(home)
    except (OSError, ValueError, TypeError):  # TOML errors are ValueErrors
        return default
    return config.language if config and config.language in LANGUAGES else default


def config_error_text(exc: ConfigError) -> str:
    """One sentence saying which key of which ``comptoir.toml`` is wrong, and how."""
    types = {
        "str": _("texte"),
        "bool": _("booléen (true ou false)"),
        "int": _("nombre entier"),
        "list": _('liste de textes (par exemple ["127.0.0.1"])'),
    }
    expected = types.get(exc.expected, exc.expected)
    values = {"path": exc.path, "key": exc.key, "value": exc.value, "expected": expected}
    if exc.problem == "syntax":
        return _("configuration illisible (%(path)s) : %(error)s") % {
            "path": exc.path,
            "error": exc.value,
        }
    elif exc.problem == "unknown":
        text = _("le fichier %(path)s contient une clé inconnue : « %(key)s ».")
    elif exc.problem == "missing":
        text = _("le fichier %(path)s n'a pas de valeur pour la clé « %(key)s ».")
    elif exc.problem == "type":
        text = _("dans %(path)s, la clé « %(key)s » doit être du type %(expected)s.")
    elif exc.problem == "choice":
        text = _(
            "dans %(path)s, la clé « %(key)s » vaut « %(value)s » ; valeurs possibles : "
            "%(expected)s."
        )
    else:
        text = _("dans %(path)s, le fuseau horaire « %(value)s » (clé « %(key)s ») est inconnu.")
    return text % values


def streams_without_console(home: Path) -> None:
    """Under ``pythonw`` (the Windows task that starts the till without a window) there is
    no console: ``sys.stdout`` and ``sys.stderr`` are None and printing would fail. What a
    command prints then goes to the home's ``logs/console.log`` (nowhere without a home)."""
    if sys.stdout is not None and sys.stderr is not None:
        return
    log = home / "logs" / "console.log"
    try:
        if not config_path(home).is_file():
            raise FileNotFoundError(config_path(home))  # no home: nothing is created
        log.parent.mkdir(exist_ok=True)
        stream = open(log, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    except OSError:
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    sys.stdout = sys.stdout or stream
    sys.stderr = sys.stderr or stream


def reader_may_leave(main: Callable[..., int]) -> Callable[..., int]:
    """``main``, for a reader that stops reading before the end (``| head``, ``| grep -q``):
    what is left to print goes nowhere and the command ends as it would have, with no
    ``BrokenPipeError`` traceback (Python's documentation, "Note on SIGPIPE"). Exit code 0:
    the command did what it was asked until its reader left."""

    @functools.wraps(main)
    def wrapped(*args: object, **kwargs: object) -> int:
        try:
            code = main(*args, **kwargs)
            if sys.stdout is not None:
                sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
            return code
        except BrokenPipeError:
            # Python flushes stdout again at exit: point it at nothing first.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0

    return wrapped
