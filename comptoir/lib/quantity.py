"""Exact quantities: ``Decimal`` with three decimals (grams, millilitres). Pure.

Articles sold by the piece take whole quantities; articles sold by weight, volume or
length take up to three decimals. Stored as integer thousandths (see ``fields``).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from comptoir.lib.bounds import MAX_QUANTITY, quantity_fits
from comptoir.lib.errors import ValidationError
from comptoir.lib.numbers import parse_decimal

SCALE = 3
QUANTUM = Decimal(1).scaleb(-SCALE)
UNITS = ("piece", "kg", "l", "m")


def parse_quantity(
    text: str | Decimal | int,
    *,
    unit: str = "piece",
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> Decimal:
    """Parse a quantity, refusing floats, excess decimals and (by default) zero or negatives.

    "0,250", "1 234,5" and "1,234.5" are all accepted; separators follow
    :func:`~comptoir.lib.numbers.normalise_decimal`.
    """
    if isinstance(text, float):
        raise TypeError("quantities are never floats")
    value = parse_decimal(text)
    if value is None:
        raise ValidationError(_("Quantité invalide : « %(value)s ».") % {"value": text})
    if value == 0 and not allow_zero:
        raise ValidationError(_("La quantité ne peut pas être nulle."))
    if value < 0 and not allow_negative:
        raise ValidationError(
            _("Quantité « %(value)s » : elle doit être positive.") % {"value": text}
        )
    check_quantity(value, shown=text)
    if value != value.quantize(QUANTUM):
        raise ValidationError(
            _("Quantité « %(value)s » : au plus %(n)d décimales.") % {"value": text, "n": SCALE}
        )
    if unit == "piece" and value != value.to_integral_value():
        raise ValidationError(
            _(
                "Quantité « %(value)s » : cet article se vend à la pièce, "
                "la quantité doit être entière."
            )
            % {"value": text}
        )
    return value.quantize(QUANTUM)


def check_quantity(value: Decimal, *, shown: object) -> None:
    """Refuse a quantity beyond :data:`~comptoir.lib.bounds.MAX_QUANTITY` (either sign),
    naming it as ``shown`` (what was typed, or a line's code)."""
    if not quantity_fits(value):
        raise ValidationError(
            _("Quantité « %(value)s » : elle ne peut pas dépasser %(max)s.")
            % {"value": shown, "max": format_for_people(MAX_QUANTITY)}
        )


def format_for_people(value: Decimal) -> str:
    """A quantity with the active language's separators and grouping ("1 000 000 000")."""
    from django.utils.formats import number_format

    decimals = 0 if value == value.to_integral_value() else SCALE
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def to_thousandths(value: Decimal) -> int:
    return int(value.quantize(QUANTUM).scaleb(SCALE))


def from_thousandths(raw: int) -> Decimal:
    return Decimal(raw).scaleb(-SCALE).quantize(QUANTUM)


def format_quantity(value: Decimal) -> str:
    """Drop trailing zeros of whole quantities: "3" rather than "3.000"; "0.250" stays."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value.quantize(QUANTUM))
