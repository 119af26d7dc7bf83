"""Notes and coins per currency, and a count by denomination. Pure: no ORM.

A drawer is counted either as a typed total or note by note and coin by coin; the count
is kept with the session's fact (``{"5000": 2, "200": 3}``: minor units -> pieces) and its
total is what the session records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError
from comptoir.lib.money import check_amount, format_money

# The most pieces of one denomination a count accepts (a bag of coins, not a typo).
MAX_PIECES = 100_000


@dataclass(frozen=True, slots=True)
class Denomination:
    value: int  # minor units
    kind: str  # "note" or "coin"


def _notes(*values: int) -> tuple[Denomination, ...]:
    return tuple(Denomination(v, "note") for v in values)


def _coins(*values: int) -> tuple[Denomination, ...]:
    return tuple(Denomination(v, "coin") for v in values)


# Largest first, as a drawer is counted. EUR in cents; XOF in francs (no minor unit); the
# 500 F CFA exists as a note and a coin: counted once, as the drawer's one compartment.
DENOMINATIONS: dict[str, tuple[Denomination, ...]] = {
    "EUR": _notes(50000, 20000, 10000, 5000, 2000, 1000, 500)
    + _coins(200, 100, 50, 20, 10, 5, 2, 1),
    "XOF": _notes(10000, 5000, 2000, 1000, 500) + _coins(250, 200, 100, 50, 25, 10, 5, 1),
    "XAF": _notes(10000, 5000, 2000, 1000, 500) + _coins(100, 50, 25, 10, 5, 2, 1),
}


def denominations(currency: str) -> tuple[Denomination, ...]:
    """The notes and coins of ``currency`` (empty if comptoir does not know them: the
    drawer is then counted as a typed total)."""
    return DENOMINATIONS.get(currency, ())


def count_parse(counts: Mapping[Any, str | int], currency: str) -> dict[str, int]:
    """A count by denomination, checked: ``{value in minor units: pieces}``, as stored.

    Refuses a denomination that ``currency`` does not have and a number of pieces that is
    not a whole number between 0 and :data:`MAX_PIECES`. Zero counts are left out.
    """
    known = {d.value for d in denominations(currency)}
    parsed: dict[int, int] = {}
    for key, pieces in counts.items():
        try:
            value = int(key)
        except (TypeError, ValueError):
            value = -1
        if value not in known:
            raise ValidationError(
                _("Coupure inconnue en %(currency)s : « %(value)s ».")
                % {"currency": currency, "value": key}
            )
        text = str(pieces).strip()
        if not text.isdigit() or int(text) > MAX_PIECES:
            raise ValidationError(
                _(
                    "Nombre de pièces ou de billets invalide pour %(value)s : "
                    "« %(pieces)s » (un entier entre 0 et %(max)d)."
                )
                % {
                    "value": format_money(value, currency),
                    "pieces": pieces,
                    "max": MAX_PIECES,
                }
            )
        parsed[value] = parsed.get(value, 0) + int(text)
    return {str(v): n for v, n in sorted(parsed.items(), reverse=True) if n}


def count_total(counts: Mapping[str, int], currency: str) -> int:
    """The total of a checked count (:func:`count_parse`), in minor units, bounded."""
    total = sum(int(value) * pieces for value, pieces in counts.items())
    check_amount(total, currency)
    return total
