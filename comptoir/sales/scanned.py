"""What a scanned or typed item sells: an article code or barcode as typed, or a scale's
label (``catalogue.labels``) read into its article and quantity. The till screen and
``comptoir sell`` both read items here, so that a label sells the same everywhere."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from comptoir.catalogue.selectors import label_resolve
from comptoir.lib.errors import ValidationError
from comptoir.lib.numbers import parse_decimal
from comptoir.sales.calculations import SaleLine
from comptoir.stores.models import Store


def sale_line_read(line: SaleLine, *, store: Store) -> SaleLine:
    """``line`` as the sale service takes it: unchanged for an article code or barcode; for
    a label of ``store``'s rules, its article's code and the label's quantity. A label
    carries its own quantity: a multiplier other than 1 is refused (scan each label)."""
    sale = label_resolve(code=line.article, store=store)
    if sale is None:
        return line
    if parse_decimal(line.quantity) != Decimal(1):
        raise ValidationError(
            _(
                "L'étiquette « %(code)s » porte déjà sa quantité : scannez chaque étiquette "
                "sans multiplier."
            )
            % {"code": sale.label.code}
        )
    return SaleLine(
        article=sale.article.code, quantity=sale.quantity, discount_rate=line.discount_rate
    )
