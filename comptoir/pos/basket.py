"""The cashier's basket: an ``InvoiceDraft`` whose id is kept in the session.

The draft lives in the database, not in the session: a reload, a crash or a second tab
finds the same lines. The session only remembers which draft is this cashier's.
What the screen shows (lines, VAT per rate, total) is computed by the one arithmetic
of ``sales.calculations``, so the basket total is the invoice total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.sessions.backends.base import SessionBase

from comptoir.customers.models import Customer
from comptoir.lib.money import exponent
from comptoir.lib.quantity import format_quantity
from comptoir.sales.calculations import (
    LineInput,
    TaxTotals,
    basket_discount_parse,
    document_totals,
)
from comptoir.sales.models import InvoiceDraft, InvoiceDraftLine
from comptoir.sales.services import invoice_draft_create
from comptoir.stores.models import Till

SESSION_KEY = "pos_draft_id"


def draft_current(session: SessionBase, *, till: Till) -> InvoiceDraft | None:
    """The session's basket at this till, if it still exists (validated drafts are gone)."""
    draft_id = session.get(SESSION_KEY)
    if not draft_id:
        return None
    try:
        return (
            InvoiceDraft.objects.select_related("customer")
            .filter(pk=draft_id, till=till, parked_at__isnull=True)
            .first()
        )
    except ValueError:  # not a UUID: a session from elsewhere
        return None


def draft_for_update(session: SessionBase, *, till: Till, cashier: str) -> InvoiceDraft:
    """The session's basket, created (empty) when there is none yet."""
    draft = draft_current(session, till=till)
    if draft is None:
        draft = invoice_draft_create(till=till, cashier=cashier)
        session[SESSION_KEY] = str(draft.pk)
    return draft


@dataclass(frozen=True)
class BasketRow:
    position: int
    code: str
    label: str
    unit: str
    quantity: Decimal
    unit_price: int
    discount_rate: Decimal
    vat_rate: Decimal
    discount: int
    total_incl_tax: int

    @property
    def quantity_input(self) -> str:
        """The quantity as the cashier would type it back (``3``, ``0,25``)."""
        return format_quantity(self.quantity).replace(".", ",")

    @property
    def discount_input(self) -> str:
        text = format_quantity(self.discount_rate).replace(".", ",")
        return text.rstrip("0").rstrip(",") if "," in text else text


@dataclass(frozen=True)
class Basket:
    rows: tuple[BasketRow, ...]
    taxes: tuple[TaxTotals, ...]
    total_excl_tax: int
    total_tax: int
    total_incl_tax: int
    customer: Customer | None
    currency: str
    # The basket discount as asked (``10%``, ``1.50``; empty: none) and what it takes off.
    discount: str = ""
    discount_amount: int = 0
    # When the basket was put on hold, and its label (parked baskets only).
    parked_at: datetime | None = None
    label: str = ""
    draft_id: str = ""

    @property
    def discount_rate(self) -> Decimal | None:
        """The discount's percentage when it was asked as one (for « Remise 10 % »)."""
        return Decimal(self.discount.rstrip("%")) if self.discount.endswith("%") else None

    @property
    def discount_input(self) -> str:
        """The discount as the cashier would type it back (``10 %``, ``1,50``)."""
        if self.discount_rate is not None:
            return format(self.discount_rate.normalize(), "f").replace(".", ",") + " %"
        return self.discount.replace(".", ",")

    @property
    def is_empty(self) -> bool:
        return not self.rows

    @property
    def last_position(self) -> int | None:
        return self.rows[-1].position if self.rows else None

    @property
    def item_count(self) -> Decimal:
        return sum((row.quantity for row in self.rows), Decimal(0))

    @property
    def exponent(self) -> int:
        """Decimals of the currency, for the script that computes the change."""
        return exponent(self.currency)


def _lines(draft: InvoiceDraft | None) -> list[InvoiceDraftLine]:
    if draft is None:
        return []
    if "lines" in getattr(draft, "_prefetched_objects_cache", {}):  # the parked list's
        return sorted(draft.lines.all(), key=lambda line: line.position)
    return list(draft.lines.select_related("article").order_by("position"))


def basket_view(draft: InvoiceDraft | None, *, currency: str) -> Basket:
    """What the till screen shows for ``draft`` (``None``: an empty basket)."""
    lines = _lines(draft)
    discount = basket_discount_parse(draft.discount, currency) if draft and draft.discount else None
    totals = document_totals(
        [
            LineInput(
                unit_price=line.unit_price,
                quantity=line.quantity,
                vat_rate=line.article.vat_rate,
                discount_rate=line.discount_rate,
            )
            for line in lines
        ],
        discount,
    )
    rows = tuple(
        BasketRow(
            position=line.position,
            code=line.article.code,
            label=line.article.name,
            unit=line.article.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_rate=line.discount_rate,
            vat_rate=line.article.vat_rate,
            discount=t.discount,
            # As the line reads before the basket discount, shown apart under the lines.
            total_incl_tax=t.total_incl_tax + t.basket_discount,
        )
        for line, t in zip(lines, totals.lines, strict=True)
    )
    return Basket(
        rows=rows,
        taxes=totals.taxes,
        total_excl_tax=totals.total_excl_tax,
        total_tax=totals.total_tax,
        total_incl_tax=totals.total_incl_tax,
        customer=draft.customer if draft else None,
        currency=currency,
        discount=discount.text(currency) if discount else "",
        discount_amount=totals.basket_discount,
        parked_at=draft.parked_at if draft else None,
        label=draft.label if draft else "",
        draft_id=str(draft.pk) if draft else "",
    )


def scan_parse(text: str) -> tuple[str, str]:
    """``"3*CODE"`` → ``("CODE", "3")``; ``"CODE"`` → ``("CODE", "1")``.

    The quantity is checked by the sale service (whole for pieces, three decimals at most).
    """
    text = text.strip()
    quantity, star, code = text.partition("*")
    if not star:
        return text, "1"
    return code.strip(), quantity.strip() or "1"
