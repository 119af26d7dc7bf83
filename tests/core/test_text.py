"""Printable text: the one validator of typed text, and the terminal's escapes."""

from __future__ import annotations

import json

import pytest

from comptoir.lib.errors import ValidationError
from comptoir.lib.text import first_unprintable, terminal_safe
from comptoir.lib.validators import clean_code, clean_contact_fields, clean_name, clean_text

HOSTILE = [
    "\x1b[2J",  # ESC: clears the screen
    "\x00",  # NUL
    "\x07",  # BEL
    "\x7f",  # DEL
    "\x9b31m",  # C1 CSI: ESC [ on an 8-bit terminal
    "\x85",  # C1 next line
    "\u202e",  # right-to-left override: shows "gpj.exe" as "exe.jpg"
    "\u2066",  # left-to-right isolate
    "\u2028",  # line separator
    "\udce9",  # an undecodable byte, as Python hands it over
]


@pytest.mark.parametrize("bad", HOSTILE)
def test_control_and_invisible_characters_are_refused_in_a_name(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"Le nom contient .*U\+[0-9A-F]{4}"):
        clean_name(f"Café{bad}moulu")


@pytest.mark.parametrize("bad", ["\t", "\n", "\r"])
def test_a_single_line_text_takes_no_tab_or_line_break_inside(bad: str) -> None:
    with pytest.raises(ValidationError):
        clean_code(f"A{bad}1", what="article")
    with pytest.raises(ValidationError):
        clean_name(f"Café{bad}moulu")


def test_a_multiline_text_takes_line_breaks_and_tabs_but_no_escape() -> None:
    assert clean_text("1 rue Haute\n75000\tParis", label="L'adresse", multiline=True)
    with pytest.raises(ValidationError, match="L'adresse"):
        clean_contact_fields(
            phone=None, email=None, address="1 rue\x1b[2J", siren=None, vat_number=None
        )


def test_printable_text_of_any_script_is_kept() -> None:
    for text in ("Crème brûlée", "Ñandú", "Straße", "Кофе", "咖啡", "قهوة", "☕ 😀", "a\u200db"):
        assert first_unprintable(text) is None
        assert clean_name(f"  {text} ") == text


def test_the_terminal_sees_escapes_that_json_reads_back() -> None:
    name = "X\x1b[31mRED\x9b\u202e\tfin"
    shown = terminal_safe(json.dumps({"name": name}, ensure_ascii=False))
    assert first_unprintable(shown, multiline=True) is None
    assert json.loads(shown) == {"name": name}
    assert terminal_safe(f"{name}\n") == "X\\u001b[31mRED\\u009b\\u202e\\u0009fin\n"
