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

# The languages of the interface (``settings.LANGUAGES``), known to the home's reader too.
from comptoir.home import LANGUAGES as LANGUAGES
from comptoir.home import ConfigError, read_config

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
