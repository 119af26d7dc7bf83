"""Template filters shared by every screen: money and quantities shown the French way."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format

from comptoir.lib.money import format_money
from comptoir.lib.quantity import format_quantity

register = template.Library()


@register.filter
def money(minor: int | None, currency: str | None = None) -> str:
    """``1234`` → ``12,34 €`` (grouped and with the decimal separator of the active language)."""
    if minor is None:
        return ""
    return format_money(int(minor), currency or settings.COMPTOIR_CURRENCY)


@register.filter
def quantity(value: Decimal | int | None) -> str:
    """A stock or line quantity without useless decimals (``3``, ``1,25``)."""
    if value is None:
        return ""
    text = format_quantity(Decimal(value))
    return number_format(Decimal(text), use_l10n=True, force_grouping=True)


@register.simple_tag
def software() -> str:
    """The software's name and version, as receipts print it (``comptoir 0.1.0``)."""
    from comptoir import __version__

    return f"comptoir {__version__}"
