"""argparse's own texts (usage, help headings, errors) in comptoir's catalogue.

argparse writes its fixed texts in English through the module's ``_`` and ``ngettext``
(the standard ``gettext``, whose default domain comptoir does not install). While one of
comptoir's parsers is built, parses or formats its help, :func:`speaking` points those two
names at a table of French source texts read through the caller's translation (Django's in
a management command, :mod:`comptoir.console` before Django starts), so that the home's
language is used; a text of argparse missing from the table stays as argparse wrote it.

:class:`SpeakingParser` is the parser side: a mixin for ``argparse.ArgumentParser`` (and
Django's ``CommandParser``) that refuses abbreviated long options and prints its errors as
the rest of the CLI does (usage, then « Erreur : … », exit code 2).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from comptoir.lib.text import terminal_safe


def gettext_noop(message: str) -> str:
    """Marks a text for the catalogue (``makemessages`` knows this name); translated later."""
    return message


# argparse's texts (Python 3.11 to 3.13) → their French source text.
TEXTS = {
    "usage: ": gettext_noop("utilisation : "),
    "positional arguments": gettext_noop("arguments"),
    "options": gettext_noop("options"),
    "%(heading)s:": gettext_noop("%(heading)s :"),
    "show this help message and exit": gettext_noop("affiche cette aide"),
    " (default: %(default)s)": gettext_noop(" (par défaut : %(default)s)"),
    "argument %(argument_name)s: %(message)s": gettext_noop(
        "argument %(argument_name)s : %(message)s"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": gettext_noop(
        "action inconnue : « %(parser_name)s » (possibles : %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": gettext_noop(
        "impossible d'ouvrir « %(filename)s » : %(error)s"
    ),
    "unrecognized arguments: %s": gettext_noop("arguments non reconnus : %s"),
    "not allowed with argument %s": gettext_noop("incompatible avec l'argument %s"),
    "ignored explicit argument %r": gettext_noop("cette option ne prend pas de valeur (« %s »)"),
    "the following arguments are required: %s": gettext_noop(
        "arguments obligatoires manquants : %s"
    ),
    "one of the arguments %s is required": gettext_noop("un des arguments %s est obligatoire"),
    "expected one argument": gettext_noop("une valeur est attendue"),
    "expected at most one argument": gettext_noop("une valeur au plus est attendue"),
    "expected at least one argument": gettext_noop("au moins une valeur est attendue"),
    "ambiguous option: %(option)s could match %(matches)s": gettext_noop(
        "option ambiguë : %(option)s peut désigner %(matches)s"
    ),
    "unexpected option string: %s": gettext_noop("option inattendue : %s"),
    "invalid %(type)s value: %(value)r": gettext_noop("valeur invalide : « %(value)s »"),
    "invalid choice: %(value)r (choose from %(choices)s)": gettext_noop(
        "choix invalide : « %(value)s » (possibles : %(choices)s)"
    ),
    "%(prog)s: error: %(message)s\n": gettext_noop("%(prog)s : erreur : %(message)s\n"),
}
# argparse's plural texts (singular, plural) → their French source texts.
PLURALS = {
    ("expected %s argument", "expected %s arguments"): (
        gettext_noop("%s valeur attendue"),
        gettext_noop("%s valeurs attendues"),
    ),
}


@contextlib.contextmanager
def speaking(
    gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
) -> Iterator[None]:
    """argparse's texts through ``gettext`` and ``ngettext`` within the block (reentrant)."""

    def text(message: str) -> str:
        source = TEXTS.get(message)
        return message if source is None else gettext(source)

    def plural(singular: str, many: str, n: int) -> str:
        sources = PLURALS.get((singular, many))
        return ngettext(singular, many, n) if sources is None else ngettext(*sources, n)

    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = text, plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class SpeakingParser(argparse.ArgumentParser):
    """A parser whose argparse texts are in the user's language, set by ``gettext`` and
    ``ngettext`` (overridden by the concrete class). Long options must be typed in full
    (``allow_abbrev=False``): ``--mod`` is refused, never taken for ``--mode``, so that a
    script keeps its meaning when an option is added and a typo never writes something else.
    """

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def speaking(self) -> contextlib.AbstractContextManager[None]:
        return speaking(self.gettext, self.ngettext)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        with self.speaking():
            super().__init__(*args, **kwargs)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> argparse.Namespace:
        with self.speaking():
            return super().parse_args(args, namespace)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with self.speaking():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with self.speaking():
            return super().format_usage()

    def format_help(self) -> str:
        with self.speaking():
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        """The usage, then one sentence as every error of the CLI reads; exit code 2."""
        self.print_usage(sys.stderr)
        line = self.gettext("Erreur : %(message)s") % {"message": message}
        self.exit(2, terminal_safe(line) + "\n")
