"""Pricing a basket: its lines and discounts through the one arithmetic
(``sales.calculations``), the checks validation makes (bounds, the manager's threshold) and
the payments settled. Writes nothing: invoices and training sales are priced here alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from comptoir.catalogue.models import Article
from comptoir.lib.errors import ValidationError
from comptoir.lib.money import format_money, parse_amount
from comptoir.lib.validators import clean_text
from comptoir.sales.calculations import (
    BasketDiscount,
    DocumentTotals,
    LineInput,
    MethodRule,
    Settlement,
    basket_discount_parse,
    check_document_bounds,
    check_line_bounds,
    discount_share,
    document_totals,
    payment_rule,
    settle,
)
from comptoir.sales.errors import ApprovalRequiredError
from comptoir.sales.models import PAYMENT_REFERENCE_LENGTH, InvoiceDraft, InvoiceDraftLine
from comptoir.sales.selectors import payment_rules
from comptoir.stores.models import Store


@dataclass(frozen=True)
class PaymentInput:
    method: str  # a code of the store's active payment methods
    amount: str | Decimal | int
    reference: str = ""  # the transaction's reference (required by some methods)


def line_check(article: Article, quantity: Decimal, unit_price: int, currency: str) -> None:
    """Refuse a basket line whose products are out of bounds, as validation would."""
    check_line_bounds(
        LineInput(
            unit_price=unit_price,
            quantity=quantity,
            vat_rate=article.vat_rate,
            unit_cost=article.cost,
        ),
        code=article.code,
        currency=currency,
    )


def _payments(
    payments: Sequence[PaymentInput], currency: str, rules: Mapping[str, MethodRule]
) -> tuple[list[tuple[str, int]], list[str]]:
    """The payments as (method, amount), and their references, checked against the store's
    active methods (``payment_rule``: known, reference typed where required)."""
    parsed, references = [], []
    for payment in payments:
        method = payment.method.strip().lower()
        reference = clean_text(payment.reference.strip(), label=_("La référence du paiement"))
        if len(reference) > PAYMENT_REFERENCE_LENGTH:
            raise ValidationError(
                _("La référence du paiement dépasse %(n)d caractères.")
                % {"n": PAYMENT_REFERENCE_LENGTH}
            )
        payment_rule(method, reference, rules)
        parsed.append((method, parse_amount(payment.amount, currency)))
        references.append(reference)
    return parsed, references


@dataclass(frozen=True)
class PricedDraft:
    """A basket priced for validation: its lines (with their articles), the totals of the
    one arithmetic (``sales.calculations``) and the payments settled."""

    lines: list[InvoiceDraftLine]
    totals: DocumentTotals
    payments: list[tuple[str, int]]
    settlement: Settlement
    references: list[str]
    rules: Mapping[str, MethodRule]
    # The basket discount as asked, normalized (``10%``, ``1.50``; empty: none).
    discount_text: str = ""

    def line_snapshots(self) -> list[dict[str, Any]]:
        """Each line as a document prints it (position from 1, the article's values as they
        are now, the line's amounts): what an invoice line, or a training sale's, stores."""
        return [
            {
                "position": i,
                "article_code": line.article.code,
                "label": line.article.name,
                "quantity": line.quantity,
                "unit": line.article.unit,
                "unit_price": line.unit_price,
                "discount_rate": line.discount_rate,
                "discount_amount": t.discount,
                "basket_discount": t.basket_discount,
                "vat_rate": line.article.vat_rate,
                "total_excl_tax": t.total_excl_tax,
                "total_tax": t.total_tax,
                "total_incl_tax": t.total_incl_tax,
            }
            for i, (line, t) in enumerate(zip(self.lines, self.totals.lines, strict=True), start=1)
        ]


def draft_line_inputs(lines: Sequence[InvoiceDraftLine], *, costs: bool = True) -> list[LineInput]:
    return [
        LineInput(
            unit_price=line.unit_price,
            quantity=line.quantity,
            vat_rate=line.article.vat_rate,
            discount_rate=line.discount_rate,
            unit_cost=line.article.cost if costs else 0,
        )
        for line in lines
    ]


def discount_threshold() -> Decimal:
    """The basket discount (percent of the basket) above which a manager must grant it:
    ``discount_manager_threshold`` of the home's ``comptoir.toml`` (default 10)."""
    return Decimal(settings.COMPTOIR_DISCOUNT_THRESHOLD)


def discount_check(
    discount: BasketDiscount | None,
    lines: Sequence[InvoiceDraftLine],
    approved_by: str,
    currency: str,
) -> None:
    """Refuse a basket discount over the basket's total, or above the threshold with no
    manager's approval."""
    if discount is None or not lines:
        return
    subtotal = document_totals(draft_line_inputs(lines, costs=False)).total_incl_tax
    if discount.amount is not None and discount.amount > subtotal:
        raise ValidationError(
            _("La remise (%(discount)s) dépasse le total du panier (%(total)s).")
            % {
                "discount": format_money(discount.amount, currency),
                "total": format_money(subtotal, currency),
            }
        )
    threshold = discount_threshold()
    if not approved_by and discount_share(discount.on(subtotal), subtotal) > threshold:
        raise ApprovalRequiredError(
            _("Une remise de plus de %(max)s %% sur le panier doit être accordée par un gérant.")
            % {"max": format(threshold.normalize(), "f")}
        )


def draft_discount(draft: InvoiceDraft, currency: str) -> BasketDiscount | None:
    return basket_discount_parse(draft.discount, currency) if draft.discount else None


def invoice_draft_price(
    *,
    draft: InvoiceDraft,
    payments: Sequence[PaymentInput],
    currency: str,
    store: Store | None = None,
) -> PricedDraft:
    """Price ``draft`` and settle ``payments`` as validation does, refusing what it refuses
    (no line, a line or a total out of bounds, a basket discount above the threshold that
    no manager granted, payments short or unknown). Writes nothing: an invoice and a
    training sale (``comptoir.training``) are priced by this one path."""
    lines = list(draft.lines.select_related("article").order_by("position"))
    if not lines:
        raise ValidationError(_("La vente ne contient aucune ligne."))
    inputs = draft_line_inputs(lines)
    discount = draft_discount(draft, currency)
    discount_check(discount, lines, draft.discount_approved_by, currency)
    for line, line_input in zip(lines, inputs, strict=True):
        check_line_bounds(line_input, code=line.article.code, currency=currency)
    totals = document_totals(inputs, discount)
    check_document_bounds(totals, currency=currency)
    rules = payment_rules(store=store or draft.till.store)
    parsed, references = _payments(payments, currency, rules)
    settlement = settle(totals.total_incl_tax, parsed, currency, rules)
    return PricedDraft(
        lines=lines,
        totals=totals,
        payments=parsed,
        settlement=settlement,
        references=references,
        rules=rules,
        discount_text=discount.text(currency) if discount else "",
    )
