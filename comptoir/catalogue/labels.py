"""Labels printed by label scales: EAN-13 codes of the in-store range (prefixes 20 to 29)
that carry an article code and a weight or a price. Pure: plain values in and out.

A store's rules say where the article code and the value sit in the 13 digits (1-based
positions; the 13th is the EAN check digit). A scanned label becomes a quantity of an
article priced by the article's own unit price, so that the line is computed, taxed and
printed like any other:

- a **weight** label (grams) sells that many kilograms (three decimals) of an article
  sold by the kilogram;
- a **price** label (minor units of the store's currency) sells the quantity whose price,
  by the sale's own rounding, is the label's amount: the receipt shows quantity × unit
  price = the amount printed on the label, and the VAT is that of an ordinary line.
  When no quantity of three decimals gives the amount exactly (a unit price above 10 €
  or 1,000 F CFA per unit whose scale disagreed with the article's price), the largest
  quantity whose price stays below it is sold: the customer never pays more than the
  label says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from stdnum import ean

from comptoir.lib.errors import ValidationError
from comptoir.lib.money import format_money, round_half_up

LENGTH = 13
# Digits 1 to 12 may hold the prefix, the article code and the value; 13 is the check digit.
LAST_DATA_POSITION = LENGTH - 1
IN_STORE_FIRST_DIGIT = "2"
WEIGHT = "weight"
PRICE = "price"
KINDS = (WEIGHT, PRICE)
THOUSANDTHS = Decimal("0.001")


@dataclass(frozen=True)
class LabelFormat:
    """Where a rule finds the article code and the value (1-based positions)."""

    prefix: str
    code_start: int
    code_digits: int
    value_start: int
    value_digits: int
    kind: str

    def check(self) -> None:
        """Refuse a layout that cannot read a label (the service calls it before saving)."""
        if not (
            1 <= len(self.prefix) <= 3
            and self.prefix.isascii()
            and self.prefix.isdigit()
            and self.prefix.startswith(IN_STORE_FIRST_DIGIT)
        ):
            raise ValidationError(
                _(
                    "Préfixe d'étiquette invalide : « %(prefix)s » (1 à 3 chiffres, de 2 à 29 : "
                    "la plage réservée aux magasins)."
                )
                % {"prefix": self.prefix}
            )
        if self.kind not in KINDS:
            raise ValidationError(
                _("Valeur d'étiquette inconnue : « %(kind)s » (weight ou price).")
                % {"kind": self.kind}
            )
        spans = [
            (1, len(self.prefix)),
            (self.code_start, self.code_digits),
            (self.value_start, self.value_digits),
        ]
        taken: set[int] = set()
        for start, digits in spans:
            positions = set(range(start, start + digits))
            if digits < 1 or start < 1 or start + digits - 1 > LAST_DATA_POSITION:
                raise ValidationError(
                    _(
                        "Positions d'étiquette invalides : le code et la valeur doivent tenir "
                        "entre le préfixe et le chiffre de contrôle (positions 1 à 12)."
                    )
                )
            if positions & taken:
                raise ValidationError(
                    _(
                        "Positions d'étiquette invalides : le préfixe, le code et la valeur "
                        "se chevauchent."
                    )
                )
            taken |= positions


@dataclass(frozen=True)
class LabelRead:
    """What a label says: the article code and the value (grams or minor units)."""

    code: str
    rule: LabelFormat
    article_code: str
    value: int


def label_format_default(*, prefix: str, code_digits: int, kind: str) -> LabelFormat:
    """The usual layout: the code right after the prefix, the value after it up to
    position 12 (``21 CCCCC VVVVV K`` for a two-digit prefix and five-digit codes)."""
    code_start = len(prefix) + 1
    value_start = code_start + code_digits
    return LabelFormat(
        prefix=prefix,
        code_start=code_start,
        code_digits=code_digits,
        value_start=value_start,
        value_digits=LAST_DATA_POSITION - value_start + 1,
        kind=kind,
    )


def label_rule_for(code: str, rules: Iterable[LabelFormat]) -> LabelFormat | None:
    """The rule that reads ``code``: a 13-digit code that starts with a rule's prefix (the
    longest prefix wins: « 21 » before « 2 »); ``None`` for any other code."""
    if len(code) != LENGTH or not (code.isascii() and code.isdigit()):
        return None
    matching = [rule for rule in rules if code.startswith(rule.prefix)]
    return max(matching, key=lambda rule: len(rule.prefix), default=None)


def label_read(code: str, rule: LabelFormat) -> LabelRead:
    """Read a label that ``rule`` matches; a wrong check digit is refused (a misread
    label must not sell the wrong weight)."""
    if not ean.is_valid(code):
        raise ValidationError(
            _(
                "Étiquette « %(code)s » illisible : son chiffre de contrôle est faux. "
                "Scannez-la de nouveau ou saisissez l'article."
            )
            % {"code": code}
        )
    article_code = code[rule.code_start - 1 : rule.code_start - 1 + rule.code_digits]
    value = int(code[rule.value_start - 1 : rule.value_start - 1 + rule.value_digits])
    if value == 0:
        raise ValidationError(
            _("Étiquette « %(code)s » : elle porte un poids ou un prix nul.") % {"code": code}
        )
    return LabelRead(code=code, rule=rule, article_code=article_code, value=value)


def label_quantity(
    read: LabelRead, *, article: str, unit: str, unit_price: int, currency: str
) -> Decimal:
    """The quantity of ``article`` (code, unit, unit price in minor units) that the label
    sells, by the rules of the module's docstring."""
    if read.rule.kind == WEIGHT:
        if unit != "kg":
            raise ValidationError(
                _(
                    "Étiquette « %(code)s » : c'est une étiquette de poids, mais l'article "
                    "« %(article)s » ne se vend pas au kilogramme."
                )
                % {"code": read.code, "article": article}
            )
        return (Decimal(read.value) * THOUSANDTHS).quantize(THOUSANDTHS)
    if unit_price <= 0:
        raise ValidationError(
            _(
                "Étiquette « %(code)s » : l'article « %(article)s » n'a pas de prix, "
                "la quantité ne peut pas se déduire du montant."
            )
            % {"code": read.code, "article": article}
        )
    amount = read.value
    if unit == "piece":
        if amount % unit_price:
            raise ValidationError(
                _(
                    "Étiquette « %(code)s » : l'article « %(article)s » se vend à la pièce, "
                    "et %(amount)s n'est pas un multiple de son prix (%(price)s)."
                )
                % {
                    "code": read.code,
                    "article": article,
                    "amount": format_money(amount, currency),
                    "price": format_money(unit_price, currency),
                }
            )
        return Decimal(amount // unit_price).quantize(THOUSANDTHS)
    quantity = _quantity_for_amount(amount, unit_price)
    if quantity is None:
        raise ValidationError(
            _(
                "Étiquette « %(code)s » : %(amount)s est moins que le plus petit poids vendable "
                "de l'article « %(article)s »."
            )
            % {"code": read.code, "amount": format_money(amount, currency), "article": article}
        )
    return quantity


def _price(unit_price: int, thousandths: int) -> int:
    """The line's price as the sale computes it (``sales.calculations.line_totals``)."""
    return round_half_up(Decimal(unit_price) * thousandths * THOUSANDTHS)


def _quantity_for_amount(amount: int, unit_price: int) -> Decimal | None:
    """The quantity (thousandths) nearest to ``amount / unit_price`` whose price is exactly
    ``amount``; else the largest whose price is below it; ``None`` if none is."""
    ratio = Decimal(amount) * 1000 / unit_price
    low = int(ratio)
    candidates = range(max(low - 2, 1), low + 4)
    exact = [q for q in candidates if _price(unit_price, q) == amount]
    if exact:
        best = min(exact, key=lambda q: (abs(q - ratio), q))
    else:
        below = [q for q in candidates if _price(unit_price, q) < amount]
        if not below:
            return None
        best = max(below)
    return (Decimal(best) * THOUSANDTHS).quantize(THOUSANDTHS)
