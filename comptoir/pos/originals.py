"""Which print of a document is the original, and which are duplicates.

The original of a receipt, an A4 invoice or a credit note's receipt is the first print
that the session which validated it opens, within ``ORIGINAL_WINDOW`` seconds of the
validation: :func:`original_grant` is called by the views that validate (the sale, the
credit note) and :func:`original_take` by the printed documents, once per document and
form. Any other print (the « Réimprimer » links, the back office, a reload, another
session, later) is a duplicate: it prints « DUPLICATA n° N » and records a ``reprint``
technical event (``events.services.reprint_record``).
"""

from __future__ import annotations

import time
from typing import Any

SESSION_KEY = "pos_originals"
ORIGINAL_WINDOW = 10 * 60  # seconds after validation
RECEIPT = "receipt"
A4 = "a4"
CREDIT_NOTE_RECEIPT = "credit_note_receipt"


def _key(form: str, number: str) -> str:
    return f"{form}:{number}"


def original_grant(session: Any, number: str, *forms: str) -> None:
    """``number`` was just validated by this session: its first print in each of ``forms``
    is the original. Grants older than the window are dropped on the way."""
    now = time.time()
    grants = {
        key: at
        for key, at in session.get(SESSION_KEY, {}).items()
        if now - float(at) < ORIGINAL_WINDOW
    }
    for form in forms:
        grants[_key(form, number)] = now
    session[SESSION_KEY] = grants


def original_take(session: Any, number: str, form: str) -> bool:
    """True (once) if this print is the original of ``number`` in ``form``."""
    grants = dict(session.get(SESSION_KEY, {}))
    at = grants.pop(_key(form, number), None)
    if at is None:
        return False
    session[SESSION_KEY] = grants
    return time.time() - float(at) < ORIGINAL_WINDOW
