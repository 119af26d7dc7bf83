"""Parsing of the sales commands' arguments: ``CODE:QTY[:DISCOUNT%]`` items and payments."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError
from comptoir.lib.money import format_amount, parse_amount
from comptoir.lib.quantity import parse_quantity
from comptoir.sales.services import PaymentInput, SaleLine


def _malformed(item: str, reason: str) -> ValidationError:
    reason = reason.rstrip(".")
    return ValidationError(
        _("Article « %(item)s » mal écrit : %(reason)s (attendu CODE:QTE, ex. A12:2 ou A12:0,5).")
        % {"item": item, "reason": reason[:1].lower() + reason[1:]}
    )


def parse_item(item: str, *, allow_discount: bool = True) -> SaleLine:
    """``CODE``, ``CODE:QTY`` or ``CODE:QTY:DISCOUNT%``; the quantity takes a comma or a dot.

    The quantity's shape (a positive number, three decimals at most) is checked here so
    that the message names the item; whether it must be whole depends on the article and
    is checked by the sale.
    """
    parts = item.strip().split(":")
    code = parts[0].strip()
    if not code:
        raise _malformed(item, _("le code est vide"))
    if len(parts) > (3 if allow_discount else 2):
        raise _malformed(item, _("trop de « : »"))
    quantity = parts[1].strip() if len(parts) > 1 else "1"
    if not quantity:
        raise _malformed(item, _("la quantité est vide"))
    try:
        parse_quantity(quantity, unit="kg")
    except ValidationError as exc:
        raise _malformed(item, exc.message) from None
    discount = parts[2].strip() if len(parts) > 2 else "0"
    return SaleLine(article=code, quantity=quantity, discount_rate=discount)


def payments_needing_total(specs: Sequence[str]) -> bool:
    return any(not spec.partition(":")[2].partition(":")[0].strip() for spec in specs)


def parse_payments(specs: Sequence[str], *, total: int, currency: str) -> list[PaymentInput]:
    """``METHOD[:AMOUNT[:REFERENCE]]`` payments; one payment without an amount (``wave`` or
    ``wave::REF``) takes what is left to pay. The method and its reference are checked by
    the sale against the store's methods (``payment_rule``)."""
    given: list[tuple[str, int | None, str]] = []
    for spec in specs:
        method, _sep, rest = spec.partition(":")
        amount, _sep2, reference = rest.partition(":")
        method = method.strip().lower()
        if not method:
            raise ValidationError(
                _(
                    "Paiement « %(spec)s » mal écrit (attendu MOYEN[:MONTANT[:REFERENCE]], "
                    "ex. card:10.50 ou wave:5.00:REF123)."
                )
                % {"spec": spec}
            )
        given.append(
            (method, parse_amount(amount, currency) if amount.strip() else None, reference)
        )
    open_ended = [m for m, a, _r in given if a is None]
    if len(open_ended) > 1:
        raise ValidationError(
            _("Un seul paiement peut être sans montant (il prend le reste à payer).")
        )
    rest_due = total - sum(a for _m, a, _r in given if a is not None)
    if open_ended and rest_due <= 0:
        raise ValidationError(
            _("Rien ne reste à payer en « %(method)s » : les autres paiements couvrent le total.")
            % {"method": open_ended[0]}
        )
    return [
        PaymentInput(
            method, format_amount(rest_due if amount is None else amount, currency), reference
        )
        for method, amount, reference in given
    ]


def manager_named(name: str) -> str:
    """``--manager``: the user name of an active manager of this post (a superuser or a
    member of the ``manager`` group, as ``web.roles`` counts them), who grants what needs
    one (a basket discount above the threshold)."""
    from django.contrib.auth import get_user_model

    name = name.strip()
    user = get_user_model()._default_manager.filter(username=name, is_active=True).first()
    if user is None or not (user.is_superuser or user.groups.filter(name="manager").exists()):
        raise ValidationError(
            _("--manager : « %(name)s » n'est pas un gérant de ce poste.") % {"name": name}
        )
    return name
