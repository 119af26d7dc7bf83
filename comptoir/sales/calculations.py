"""Invoice arithmetic, the one implementation used by till and hub. Pure: no ORM.

Prices are VAT-inclusive (a French receipt shows prices TTC). Per line:
``gross = unit_price × quantity``, ``discount = gross × rate``, ``incl = gross - discount``,
each rounded half up to the minor unit. The VAT breakdown is computed per rate on the sum
of the lines of that rate: ``base = incl / (1 + rate)`` rounded half up and
``vat = incl - base``, so that base + VAT = total incl. VAT exactly, per rate and overall.
Per-line excl. VAT amounts are computed the same way and are indicative.

A **basket discount** (a percentage or an amount off the whole basket) is taken from the
lines' totals after their own discounts, and spread over the lines pro rata to them by the
largest-remainder method (:func:`allocate`): the lines' shares add up to the discount to
the minor unit, no share exceeds its line, and the VAT breakdown is then computed per rate
on the discounted lines as above, so it stays exact per rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from comptoir.lib.bounds import MAX_AMOUNT, amount_fits
from comptoir.lib.errors import ValidationError
from comptoir.lib.money import format_amount, format_money, parse_amount, round_half_up
from comptoir.lib.numbers import parse_decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LineInput:
    unit_price: int
    quantity: Decimal
    vat_rate: Decimal
    discount_rate: Decimal = Decimal(0)
    unit_cost: int = 0


@dataclass(frozen=True, slots=True)
class LineTotals:
    gross: int
    discount: int
    total_incl_tax: int
    total_excl_tax: int
    total_tax: int
    total_cost: int
    # This line's share of the basket discount (already taken off ``total_incl_tax``).
    basket_discount: int = 0


@dataclass(frozen=True, slots=True)
class TaxTotals:
    vat_rate: Decimal
    base_excl_tax: int
    tax: int
    total_incl_tax: int


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    lines: tuple[LineTotals, ...]
    taxes: tuple[TaxTotals, ...]
    total_excl_tax: int
    total_tax: int
    total_incl_tax: int
    total_cost: int
    # The basket discount, spread over ``lines`` (``LineTotals.basket_discount``).
    basket_discount: int = 0


@dataclass(frozen=True, slots=True)
class BasketDiscount:
    """A discount asked on a whole basket: ``rate`` percent, or ``amount`` minor units."""

    rate: Decimal | None = None
    amount: int | None = None

    def __post_init__(self) -> None:
        if (self.rate is None) == (self.amount is None):
            raise ValueError("a basket discount is a rate or an amount, not both or neither")

    def on(self, subtotal: int) -> int:
        """The discount on a basket of ``subtotal`` (a rate rounded half up), at most all."""
        if self.rate is not None:
            wanted = round_half_up(Decimal(subtotal) * self.rate / HUNDRED)
        else:
            wanted = self.amount or 0
        return min(wanted, max(subtotal, 0))

    def text(self, currency: str) -> str:
        """As stored and typed back: ``10%``, ``12.5%`` or ``1.50`` (the currency's units)."""
        if self.rate is not None:
            return f"{format(self.rate.normalize(), 'f')}%"
        return format_amount(self.amount or 0, currency)


def allocate(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split ``amount`` (>= 0) pro rata to ``weights`` (>= 0) by the largest-remainder
    method: the shares add up to ``amount`` exactly and, while ``amount <= sum(weights)``,
    no share exceeds its weight. Ties in remainders go to the earlier weight."""
    whole = sum(weights)
    if amount == 0 or whole == 0:
        return tuple(0 for _ in weights)
    floors = [amount * w // whole for w in weights]
    remainders = [amount * w % whole for w in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return tuple(floors)


def excl_from_incl(incl: int, vat_rate: Decimal) -> int:
    return round_half_up(Decimal(incl) * HUNDRED / (HUNDRED + vat_rate))


def line_totals(line: LineInput) -> LineTotals:
    gross = round_half_up(Decimal(line.unit_price) * line.quantity)
    discount = round_half_up(Decimal(gross) * line.discount_rate / HUNDRED)
    incl = gross - discount
    excl = excl_from_incl(incl, line.vat_rate)
    cost = round_half_up(Decimal(line.unit_cost) * line.quantity)
    return LineTotals(gross, discount, incl, excl, incl - excl, cost)


def tax_breakdown(amounts: Iterable[tuple[Decimal, int]]) -> tuple[TaxTotals, ...]:
    """Per VAT rate, from (rate, amount incl. VAT) pairs; sorted by rate."""
    per_rate: dict[Decimal, int] = {}
    for rate, incl in amounts:
        per_rate[rate] = per_rate.get(rate, 0) + incl
    taxes = []
    for rate in sorted(per_rate):
        incl = per_rate[rate]
        base = excl_from_incl(incl, rate)
        taxes.append(TaxTotals(rate, base, incl - base, incl))
    return tuple(taxes)


def _less(line: LineTotals, share: int, vat_rate: Decimal) -> LineTotals:
    if not share:
        return line
    incl = line.total_incl_tax - share
    excl = excl_from_incl(incl, vat_rate)
    return replace(
        line, total_incl_tax=incl, total_excl_tax=excl, total_tax=incl - excl, basket_discount=share
    )


def document_totals(
    lines: Sequence[LineInput], discount: BasketDiscount | None = None
) -> DocumentTotals:
    """The totals of a document: its lines, less the basket ``discount`` if any (spread
    over the lines by :func:`allocate`), then the VAT per rate on the discounted lines."""
    totals = tuple(line_totals(line) for line in lines)
    taken = 0
    if discount is not None:
        incl = [t.total_incl_tax for t in totals]
        taken = discount.on(sum(incl))
        shares = allocate(taken, [max(amount, 0) for amount in incl])
        totals = tuple(
            _less(t, share, line.vat_rate)
            for t, share, line in zip(totals, shares, lines, strict=True)
        )
    taxes = tax_breakdown(
        (line.vat_rate, t.total_incl_tax) for line, t in zip(lines, totals, strict=True)
    )
    return DocumentTotals(
        lines=totals,
        taxes=taxes,
        total_excl_tax=sum(t.base_excl_tax for t in taxes),
        total_tax=sum(t.tax for t in taxes),
        total_incl_tax=sum(t.total_incl_tax for t in taxes),
        total_cost=sum(t.total_cost for t in totals),
        basket_discount=taken,
    )


def check_line_bounds(line: LineInput, *, code: str, currency: str) -> LineTotals:
    """A line's totals, refused if a value or a product of two bounded values is out of
    bounds (``core.bounds``): unit price and cost, quantity × unit price (before
    discount), quantity × unit cost."""
    limit = {"code": code, "max": format_money(MAX_AMOUNT, currency)}
    if not (amount_fits(line.unit_price) and amount_fits(line.unit_cost)):
        # Only an article stored before the bounds existed: its fields are parsed now.
        raise ValidationError(
            _(
                "Article « %(code)s » : son prix ou son coût dépasse %(max)s ; corrigez "
                "la fiche de l'article."
            )
            % limit
        )
    totals = line_totals(line)
    if not amount_fits(totals.gross):
        raise ValidationError(
            _(
                "Article « %(code)s » : le total de la ligne (quantité × prix) ne peut pas "
                "dépasser %(max)s."
            )
            % limit
        )
    if not amount_fits(totals.total_cost):
        raise ValidationError(
            _(
                "Article « %(code)s » : le coût de revient de la ligne (quantité × coût) ne peut "
                "pas dépasser %(max)s."
            )
            % limit
        )
    return totals


def check_document_bounds(totals: DocumentTotals, *, currency: str) -> None:
    """Refuse a document whose sums (of bounded lines) are out of bounds (``core.bounds``)."""
    if not (amount_fits(totals.total_incl_tax) and amount_fits(totals.total_cost)):
        raise ValidationError(
            _("Le total d'un document ne peut pas dépasser %(max)s : faites-en plusieurs.")
            % {"max": format_money(MAX_AMOUNT, currency)}
        )


@dataclass(frozen=True, slots=True)
class MethodRule:
    """What a store's payment method allows (from its data, ``sales.PaymentMethod``): the
    one source of the payment rules for the service, the till's preview and the CLI."""

    code: str
    name: str
    gives_change: bool = False  # the excess over the total may be given back from it
    reference_required: bool = False  # a transaction reference must be typed
    on_account: bool = False  # left unpaid on the customer's account (« ardoise »)


@dataclass(frozen=True, slots=True)
class Settlement:
    paid: int
    change: int
    on_account: int = 0


def payment_rule(method: str, reference: str, rules: Mapping[str, MethodRule]) -> MethodRule:
    """The rule of ``method`` among a store's active methods; refuses an unknown method and
    a missing reference where the method requires one."""
    rule = rules.get(method)
    if rule is None:
        raise ValidationError(
            _("Moyen de paiement inconnu : « %(method)s » (moyens de ce magasin : %(codes)s).")
            % {"method": method, "codes": ", ".join(rules) or "—"}
        )
    if rule.reference_required and not reference.strip():
        raise ValidationError(
            _("Paiement « %(name)s » : saisissez la référence de la transaction.")
            % {"name": rule.name}
        )
    return rule


def settle(
    total: int,
    payments: Sequence[tuple[str, int]],
    currency: str,
    rules: Mapping[str, MethodRule],
) -> Settlement:
    """Check the payments cover ``total``; the excess is change, given only from the
    methods whose rule gives change (cash)."""
    for _method, amount in payments:
        if amount <= 0:
            raise ValidationError(_("Un paiement doit être d'un montant positif."))
    paid = sum(amount for _method, amount in payments)
    if not amount_fits(paid):
        raise ValidationError(
            _("Le total des paiements ne peut pas dépasser %(max)s.")
            % {"max": format_money(MAX_AMOUNT, currency)}
        )
    if paid < total:
        raise ValidationError(
            _("Paiement insuffisant : il manque %(missing)s (total %(total)s).")
            % {
                "missing": format_money(total - paid, currency),
                "total": format_money(total, currency),
            }
        )
    change = paid - total
    cash = sum(
        amount for method, amount in payments if method in rules and rules[method].gives_change
    )
    if change > cash:
        raise ValidationError(
            _(
                "Le montant payé dépasse le total de %(excess)s : seul un paiement "
                "en espèces peut donner lieu à un rendu de monnaie."
            )
            % {"excess": format_money(change, currency)}
        )
    on_account = sum(
        amount for method, amount in payments if method in rules and rules[method].on_account
    )
    return Settlement(paid=paid, change=change, on_account=on_account)


def prorate(amount: int, part: Decimal, whole: Decimal) -> int:
    """The share of ``amount`` for ``part`` of ``whole`` (a partial return), rounded half up."""
    if part == whole:
        return amount
    return round_half_up(Decimal(amount) * part / whole)


@dataclass(frozen=True)
class SaleLine:
    """A line to sell: an article code or barcode, a quantity, an optional discount (%)."""

    article: str
    quantity: str | Decimal | int
    discount_rate: str | Decimal | int = 0


def discount_parse(value: str | Decimal | int) -> Decimal:
    rate = parse_decimal(value.strip().rstrip("%") if isinstance(value, str) else value)
    if rate is None or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            _("Remise invalide : « %(value)s » (un pourcentage entre 0 et 100).") % {"value": value}
        )
    return rate.quantize(Decimal("0.01"))


def basket_discount_parse(value: str, currency: str) -> BasketDiscount | None:
    """``"10%"`` (a percentage, up to two decimals) or ``"1.50"`` / ``"1,50"`` (an amount in
    the currency); ``""`` or a zero is no discount (``None``)."""
    text = value.strip()
    if not text:
        return None
    if text.endswith("%"):
        rate = discount_parse(text)
        return BasketDiscount(rate=rate) if rate else None
    amount = parse_amount(text, currency) if parse_decimal(text) is not None else -1
    if amount < 0:
        raise ValidationError(
            _(
                "Remise invalide : « %(value)s » (un pourcentage comme 10 %% ou un montant "
                "comme 1,50)."
            )
            % {"value": value}
        )
    return BasketDiscount(amount=amount) if amount else None


def discount_share(discount: int, subtotal: int) -> Decimal:
    """What a discount is of a subtotal, in percent (100 for anything off nothing)."""
    if subtotal <= 0:
        return HUNDRED if discount else Decimal(0)
    return Decimal(discount) * HUNDRED / Decimal(subtotal)
