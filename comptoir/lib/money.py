"""Exact money: integer minor units of one currency. Pure: no Django import.

Amounts are stored and computed as integers in the currency's minor unit (cents for
EUR, francs for XOF). Parsing refuses more decimals than the currency has, and every
division rounds half up (the one rounding rule of comptoir, the one receipts use).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from comptoir.lib.bounds import MAX_AMOUNT, amount_fits
from comptoir.lib.errors import ValidationError
from comptoir.lib.numbers import parse_decimal

# ISO 4217 minor-unit exponents of the currencies a shop is likely to use.
CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "MAD": 2,
    "TND": 3,
    "DZD": 2,
    "XOF": 0,
    "XAF": 0,
    "XPF": 0,
    "GNF": 0,
    "JPY": 0,
    "MGA": 0,
}


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValidationError(
            _("Devise inconnue : %(currency)s.") % {"currency": currency}
        ) from None


def round_half_up(value: Decimal) -> int:
    """Round a Decimal to the nearest integer, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_amount(text: str | Decimal | int, currency: str) -> int:
    """Parse a human amount ("2.50", "2,50", "1 234,50", "1,234.50", 3) into minor units.

    Excess decimals and amounts beyond the bounds (:mod:`comptoir.lib.bounds`) are
    refused; separators follow
    :func:`~comptoir.lib.numbers.normalise_decimal`.
    """
    if isinstance(text, float):
        raise TypeError("money is never a float")
    value = parse_decimal(text)
    if value is None:
        raise ValidationError(_("Montant invalide : « %(value)s ».") % {"value": text})
    exp = exponent(currency)
    scaled = value.scaleb(exp)
    check_amount(scaled, currency, shown=text)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            _("Montant « %(value)s » : au plus %(n)d décimale(s) en %(currency)s.")
            % {"value": text, "n": exp, "currency": currency}
        )
    return int(scaled)


def check_amount(minor: int | Decimal, currency: str, *, shown: object = None) -> None:
    """Refuse an amount in minor units beyond :data:`~comptoir.lib.bounds.MAX_AMOUNT`
    (either sign), naming it as ``shown`` (what was typed; by default the amount)."""
    if not amount_fits(minor):
        raise ValidationError(
            _("Montant « %(value)s » : il ne peut pas dépasser %(max)s.")
            % {
                "value": format_amount(int(minor), currency) if shown is None else shown,
                "max": format_money(MAX_AMOUNT, currency),
            }
        )


def format_amount(minor: int, currency: str) -> str:
    """Minor units to a decimal string with the currency's decimals ("2.50", "-0.05", "1500")."""
    exp = exponent(currency)
    return str(Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp)))


SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "XOF": "F CFA", "XAF": "F CFA", "CHF": "CHF"}


def format_money(minor: int, currency: str) -> str:
    """For people: ``1234`` EUR → ``1 234,56 €`` in French (separators of the active language)."""
    from django.utils.formats import number_format

    exp = exponent(currency)
    value = Decimal(int(minor)).scaleb(-exp)
    text = number_format(value, decimal_pos=exp, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{SYMBOLS.get(currency, currency)}"


def money_text(amount: str | Decimal, currency: str) -> str:
    """An amount as ``--json`` writes it (``"1234.50"``, in the currency's unit) for people,
    as every screen shows it: ``1 234,50 €`` in French (see :func:`format_money`)."""
    return format_money(int(Decimal(amount).scaleb(exponent(currency))), currency)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency; refuses floats and mixed currencies."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError(f"Money.minor must be an int, not {type(self.minor).__name__}")
        exponent(self.currency)

    @classmethod
    def parse(cls, text: str | Decimal | int, currency: str) -> Money:
        return cls(parse_amount(text, currency), currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money can only be combined with Money")
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.minor <= other.minor

    def __str__(self) -> str:
        return f"{format_amount(self.minor, self.currency)} {self.currency}"

    def as_decimal_string(self) -> str:
        return format_amount(self.minor, self.currency)
