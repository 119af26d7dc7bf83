"""The English catalogue: complete, faithful to its placeholders, compiled from the current
``.po``, and really used when a user picks English.

Strings added to the code later reach the ``.po`` only through ``make messages``
(makemessages + compilemessages); the README's Development section says so.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

import comptoir
from comptoir.web.roles import CASHIER, role_set

MESSAGES = Path(comptoir.__file__).parent / "locale" / "en" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"

# printf-style directives, as Python's % operator reads them, and str.format fields.
PERCENT = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
BRACES = re.compile(r"\{[\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    def __str__(self) -> str:
        context = f" [{self.msgctxt}]" if self.msgctxt else ""
        return f"django.po:{self.line}{context} {self.msgid!r}"


def _po_string(text: str) -> str:
    """One quoted line of a .po file, unescaped the way msgfmt does."""
    value = ast.literal_eval(text)
    assert isinstance(value, str), text
    return value


def po_entries(path: Path = PO) -> list[Entry]:
    """A small .po reader: enough for the files makemessages writes (obsolete ``#~``
    entries are skipped, as msgfmt skips them)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if current is None or target is not None:
                current = Entry(line=number)
                entries.append(current)
                target = None
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword.startswith('"'):
            assert target is not None, f"django.po:{number}: continuation without a keyword"
            _append(current, target, _po_string(line))
            continue
        if keyword in ("msgctxt", "msgid") and (current is None or current.msgstr):
            current = Entry(line=number)
            entries.append(current)
        elif keyword in ("msgctxt", "msgid") and current is not None and current.line == 0:
            current.line = number
        assert current is not None, f"django.po:{number}: {keyword} outside an entry"
        if keyword == "msgctxt":
            target = ("msgctxt", 0)
            current.msgctxt = ""
        elif keyword == "msgid":
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            target = ("msgid_plural", 0)
            current.msgid_plural = ""
        elif keyword == "msgstr":
            target = ("msgstr", 0)
            current.msgstr[0] = ""
        elif keyword.startswith("msgstr["):
            target = ("msgstr", int(keyword[7:-1]))
            current.msgstr[target[1]] = ""
        else:
            raise AssertionError(f"django.po:{number}: unexpected {keyword!r}")
        _append(current, target, _po_string(rest))
    return entries


def _append(entry: Entry | None, target: tuple[str, int], text: str) -> None:
    assert entry is not None
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += text
    else:
        setattr(entry, name, (getattr(entry, name) or "") + text)


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    parsed = po_entries()
    assert parsed[0].msgid == "", "the .po starts with its header"
    return parsed


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    return entries[1:]


def _placeholders(text: str) -> Counter[str]:
    return Counter(PERCENT.findall(text)) + Counter(BRACES.findall(text))


def _pairs(entry: Entry) -> Iterator[tuple[str, str]]:
    """(source, translation) pairs: the singular, and for plurals every other form
    against ``msgid_plural``."""
    if entry.msgid_plural is None:
        yield entry.msgid, entry.msgstr.get(0, "")
        return
    for index, text in sorted(entry.msgstr.items()):
        yield (entry.msgid if index == 0 else entry.msgid_plural), text


# ---- the .po ------------------------------------------------------------------------------


def test_catalogue_header_declares_english_and_its_two_plural_forms(entries):
    header = entries[0]
    assert "fuzzy" not in header.flags
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == "en"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"].startswith("nplurals=2;")


def test_catalogue_holds_the_whole_interface(messages):
    # makemessages found about 930 strings when the catalogue was written.
    assert len(messages) > 800
    assert any(entry.msgid == "Valider la vente" for entry in messages)


def test_every_entry_is_translated_and_none_is_fuzzy(messages):
    untranslated = [str(e) for e in messages if not all(text for _src, text in _pairs(e))]
    fuzzy = [str(e) for e in messages if "fuzzy" in e.flags]
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy entries:\n" + "\n".join(fuzzy)


def test_plural_entries_have_both_english_forms(messages):
    plurals = [e for e in messages if e.msgid_plural is not None]
    assert plurals
    wrong = [str(e) for e in plurals if sorted(e.msgstr) != [0, 1]]
    assert not wrong, "plural entries without msgstr[0] and msgstr[1]:\n" + "\n".join(wrong)


def test_every_translation_keeps_the_placeholders_of_its_source(messages):
    wrong = []
    for entry in messages:
        for source, text in _pairs(entry):
            if _placeholders(source) != _placeholders(text):
                wrong.append(f"{entry}: {sorted(_placeholders(text).elements())}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_a_translation_keeps_the_source_newlines_at_both_ends(messages):
    # Console messages end (or start) with a newline that the code relies on.
    wrong = [
        str(entry)
        for entry in messages
        for source, text in _pairs(entry)
        if (source.startswith("\n"), source.endswith("\n"))
        != (text.startswith("\n"), text.endswith("\n"))
    ]
    assert not wrong, "\n".join(wrong)


def test_placeholder_check_catches_a_lost_or_renamed_placeholder():
    assert _placeholders("Facture %(number)s : %(total)s") != _placeholders("Invoice %(number)s")
    assert _placeholders("%(n)d ligne") != _placeholders("%(count)d line")
    assert _placeholders("TVA %(rate)s %%") != _placeholders("VAT %(rate)s %")
    assert _placeholders("{task.completed} reçus") == _placeholders("{task.completed} received")


def test_po_reader_reads_context_plurals_flags_and_continuations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, python-format\nmsgid "%(n)d ligne"\nmsgid_plural "%(n)d lignes"\n'
        'msgstr[0] "%(n)d line"\nmsgstr[1] ""\n"%(n)d lines"\n\n'
        '#, fuzzy\nmsgctxt "touche"\nmsgid "Entrée"\nmsgstr "Enter"\n\n'
        '#~ msgid "ancienne"\n#~ msgstr "old"\n',
        encoding="utf-8",
    )
    header, plural, key = po_entries(po)
    assert header.msgstr == {0: "Language: en\n"}
    assert (plural.msgid, plural.msgid_plural) == ("%(n)d ligne", "%(n)d lignes")
    assert plural.msgstr == {0: "%(n)d line", 1: "%(n)d lines"}
    assert plural.flags == {"python-format"}
    assert (key.msgctxt, key.msgid, key.msgstr, key.flags) == (
        "touche",
        "Entrée",
        {0: "Enter"},
        {"fuzzy"},
    )


# ---- the .mo ------------------------------------------------------------------------------


def test_compiled_catalogue_matches_the_po(messages):
    """A .mo compiled before the last edit of the .po fails here: run ``make messages``."""
    with MO.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    stale = []
    for entry in messages:
        if entry.msgid_plural is None:
            got = [
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else compiled.gettext(entry.msgid)
            ]
        else:
            got = [
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt is not None
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
        if got != [entry.msgstr[i] for i in sorted(entry.msgstr)]:
            stale.append(str(entry))
    assert not stale, "the .mo is older than the .po (make messages):\n" + "\n".join(stale)


def test_compiled_catalogue_is_the_one_django_loads():
    assert MESSAGES.parent.parent in {Path(p) for p in settings.LOCALE_PATHS}
    assert "en" in dict(settings.LANGUAGES)
    with translation.override("en"):
        assert translation.gettext("Valider la vente") == "Complete the sale"
        assert translation.pgettext("touche du clavier", "Échap") == "Esc"
        assert translation.ngettext("%(n)d facture", "%(n)d factures", 2) == "%(n)d invoices"


# ---- the web interface ---------------------------------------------------------------------


@pytest.fixture
def cashier_client(db: None, settings: Any, till: Any) -> Iterator[Client]:
    settings.COMPTOIR_ROLE = "node"
    user = get_user_model().objects.create_user("alice", password="secret-pass-1")
    role_set(user, CASHIER)
    client = Client()
    client.force_login(user)
    # The locale middleware leaves the last request's language active in this thread.
    with translation.override(settings.LANGUAGE_CODE):
        yield client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_till_screen_speaks_french_until_english_is_chosen(cashier_client):
    page = _page(cashier_client, "/caisse/")
    assert 'lang="fr"' in page
    assert "Valider la vente" in page

    response = cashier_client.post("/i18n/setlang/", {"language": "en", "next": "/caisse/"})
    assert response.status_code == 302

    page = _page(cashier_client, "/caisse/")
    assert '<html lang="en">' in page
    assert "Complete the sale" in page
    assert "Valider la vente" not in page
    # The labels the till's script reads from data attributes are English too.
    assert 'data-label-due="Left to pay"' in page
    assert "Keyboard shortcuts" in page


def test_switching_back_to_french_restores_the_french_screen(cashier_client):
    cashier_client.post("/i18n/setlang/", {"language": "en", "next": "/caisse/"})
    cashier_client.post("/i18n/setlang/", {"language": "fr", "next": "/caisse/"})
    page = _page(cashier_client, "/caisse/")
    assert "Valider la vente" in page
    assert "Complete the sale" not in page


def test_every_model_names_itself_in_french_singular_and_plural() -> None:
    # The admin and every message naming a model read these: without them Django makes
    # English ones from the class name (« Daily taxs », « Credit note taxs »).
    from django.apps import apps

    unnamed = [
        (model._meta.label, key)
        for model in apps.get_models()
        if model.__module__.startswith("comptoir.")
        for key in ("verbose_name", "verbose_name_plural")
        if key not in model._meta.original_attrs
    ]
    assert unnamed == []
