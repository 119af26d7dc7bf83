"""Texts printed outside Django: by the ``comptoir`` entry point and ``comptoir demo``.

Django's translation cannot serve there: it needs the settings, which need the home. The
standard ``gettext`` reads the same compiled catalogue (``locale/``); French, the source
language, needs none. Call sites import ``_`` (and ``ngettext``) under those names, the
keywords with which ``makemessages`` finds their texts.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from gettext import NullTranslations, translation
from pathlib import Path

from comptoir.home import read_config

# The languages of the interface (``settings.LANGUAGES``); French is the source's.
LANGUAGES = ("fr", "en")
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
