"""Typed numbers in any usual writing ("2,50", "1 234,50", "1,234.50", "1'234.50"). Pure.

The rules do not depend on the active language (services run from the CLI and imports
too); ``pos.js`` (``minor()``) applies the same rules in the till page.
"""

from __future__ import annotations

import re
from decimal import Decimal

# Thousands separators that are never a decimal separator: any whitespace (spaces,
# no-break spaces U+00A0 and U+202F of French) and apostrophes (Swiss "1'234.50").
_GROUPING = re.compile(r"[\s'\u2019]")
_DIGITS = re.compile(r"[0-9]*")
_GROUPED = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+")


def normalise_decimal(text: str) -> str | None:
    """The plain form of a typed number ("1,234.50" → "1234.50"), or None if malformed.

    Spaces and apostrophes are dropped wherever they are. Then, with both "," and ".",
    the last one is the decimal separator (once) and the other groups thousands; one of
    them several times groups thousands; one of them once is the decimal separator.
    Thousands separators must split groups of exactly three digits after a first group
    of one to three ("1.234.567", not "12,34,5").

    A single separator is always decimal, the French reading: "1,234" is 1.234, never
    1234; as an amount in a two-decimal currency it is then refused for its decimals
    rather than misread. A leading "+" or "-" is accepted; letters (exponents, "NaN",
    "Infinity"), underscores and non-ASCII digits are refused.
    """
    clean = _GROUPING.sub("", text)
    sign = clean[:1] if clean[:1] in ("+", "-") else ""
    clean = clean[len(sign) :]
    commas, dots = clean.count(","), clean.count(".")
    point = group = ""
    if commas and dots:
        point = "," if clean.rfind(",") > clean.rfind(".") else "."
        group = "." if point == "," else ","
    elif commas + dots == 1:
        point = "," if commas else "."
    elif commas + dots > 1:
        group = "," if commas else "."
    whole, _, fraction = clean.partition(point) if point else (clean, "", "")
    if point and point in fraction:
        return None
    if group:
        if not _GROUPED.fullmatch(whole):
            return None
        whole = whole.replace(group, "")
    if not (_DIGITS.fullmatch(whole) and _DIGITS.fullmatch(fraction)) or not (whole or fraction):
        return None
    return ("-" if sign == "-" else "") + (whole or "0") + ("." + fraction if fraction else "")


def parse_decimal(value: str | Decimal | int) -> Decimal | None:
    """A finite Decimal from a typed number (see :func:`normalise_decimal`), else None.

    Decimals and ints are taken as they are; anything else is read as its text.
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        plain = normalise_decimal(str(value))
        if plain is None:
            return None
        number = Decimal(plain)
    return number if number.is_finite() else None


def format_seconds(seconds: float, places: int = 2) -> str:
    """A duration for people, with the decimal separator of the active language and its
    unit: ``0.25`` → ``0,25 s`` in French, ``0.25 s`` in English."""
    from django.utils.formats import number_format

    value = Decimal(str(round(seconds, places)))
    return f"{number_format(value, decimal_pos=places, use_l10n=True)}\u00a0s"
