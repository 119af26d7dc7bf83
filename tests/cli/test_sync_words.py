"""What the sync worker says it moved, in French: every model by its name, French
punctuation, durations with a decimal comma."""

from __future__ import annotations

from collections import Counter

from django.utils import translation

from comptoir.lib.numbers import format_seconds
from comptoir.syncengine.describe import describe_moves


def test_what_was_received_is_named_model_by_model_with_a_french_semicolon():
    sent = Counter({"sales.invoice": 2})
    received = Counter({"catalogue.article": 1, "core.store": 1, "core.till": 2, "x.gone": 3})
    with translation.override("fr"):
        text = describe_moves(sent, received)
    assert text == (
        "Envoyés : 2 factures\u202f; reçus : 1 article, 1 magasin, 2 caisses, 3 autres données"
    )


def test_durations_take_the_decimal_separator_of_the_language():
    with translation.override("fr"):
        assert format_seconds(0.2512) == "0,25\u00a0s"
        assert format_seconds(12.34, 1) == "12,3\u00a0s"
    with translation.override("en"):
        assert format_seconds(0.2512) == "0.25\u00a0s"


def test_in_english_the_same_moves_read_with_english_punctuation():
    """The French narrow space before « ; » is the catalogue's key itself: an escaped one
    in the source missed the English entry."""
    sent = Counter({"sales.invoice": 2})
    received = Counter({"core.till": 1, "core.store": 2})
    with translation.override("en"):
        text = describe_moves(sent, received)
    assert "\u202f" not in text
    assert text.startswith("Sent: 2 invoices; received: "), text
