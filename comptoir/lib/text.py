"""Printable text: what a user may type, and how stored text is shown on a terminal. Pure.

Control characters (C0, DEL, C1: ESC starts the terminal's escape sequences), lone
surrogates (undecodable bytes), line and paragraph separators, and the bidirectional
embeddings, overrides and isolates (which reorder what is shown) are never part of a
name, a code or an address: the validators refuse them at input (``clean_text``), and
what prints stored text to a terminal shows them as ``\\u001b`` escapes, in case some
came from elsewhere.
"""

from __future__ import annotations

import re

_UNPRINTABLE = "\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069"
# Line breaks and tabs are text in a multi-line field (an address), never in a name.
_LAYOUT = "\t\n\r"
_ANY = re.compile(f"[{_UNPRINTABLE}]")
_BUT_LAYOUT = re.compile(f"(?![{_LAYOUT}])[{_UNPRINTABLE}]")
_BUT_NEWLINE = re.compile(f"(?!\n)[{_UNPRINTABLE}]")


def first_unprintable(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that is not printable text, or None."""
    found = (_BUT_LAYOUT if multiline else _ANY).search(text)
    return found.group() if found else None


def terminal_safe(text: str) -> str:
    """``text`` with every unprintable character but line breaks shown as ``\\uXXXX``: what
    a terminal receives cannot move the cursor, change colours or retitle the window. In
    JSON output, the same escape reads back as the very same character."""
    return _BUT_NEWLINE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
