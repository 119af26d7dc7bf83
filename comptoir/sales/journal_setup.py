"""Invoices and credit notes in the fiscal journal: one chain per post (``doc``), the one
they formed before version 2, continued (sales and returns in one chain, as certified
tills keep them).

:func:`invoice_values` and :func:`credit_note_values` give a document's version 2
values from the record and its parts, stored or about to be: the service links with
them, a verifier rebuilds them from the stored rows. ``*_legacy`` rebuild the version 1
values exactly as the services built them before (the store's name excepted: version 1
hashed its name of the moment, which a rename changes; it is read from the store).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from comptoir.journal.kinds import DOCUMENTS, register_kind
from comptoir.journal.services import post_values
from comptoir.sales.models import (
    AccountSettlement,
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
)

SETTLEMENTS = "sett"


def _vat(taxes: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {"rate": t.vat_rate, "base": t.base_excl_tax, "vat": t.tax, "incl": t.total_incl_tax}
        for t in sorted(taxes, key=lambda t: t.vat_rate)
    ]


def _line(ln: Any, discounted: bool) -> dict[str, Any]:
    values = {
        "article_code": ln.article_code,
        "label": ln.label,
        "quantity": ln.quantity,
        "unit_price": ln.unit_price,
        "discount_rate": ln.discount_rate,
        "vat_rate": ln.vat_rate,
        "total_incl_vat": ln.total_incl_tax,
    }
    if discounted:
        values["basket_discount"] = ln.basket_discount
    return values


def invoice_values(
    invoice: Invoice, lines: Iterable[Any], taxes: Iterable[Any], payments: Iterable[Any]
) -> dict[str, Any]:
    """An invoice's version 2 values. A basket discount adds its keys (``discount``,
    ``discount_amount``, each line's ``basket_discount``); an invoice without one gives
    exactly the values it gave before basket discounts existed."""
    discounted = bool(invoice.discount)
    values = {
        **post_values(invoice),
        "number": invoice.number,
        "instant": invoice.validated_at,
        "cashier": invoice.cashier,
        "customer": invoice.customer_name or None,
        "currency": invoice.currency,
        "lines": [_line(ln, discounted) for ln in sorted(lines, key=lambda ln: ln.position)],
        "vat": _vat(taxes),
        "total_excl_vat": invoice.total_excl_tax,
        "total_vat": invoice.total_tax,
        "total_incl_vat": invoice.total_incl_tax,
        "payments": [
            {"method": p.method, "amount": p.amount}
            for p in sorted(payments, key=lambda p: p.position)
        ],
    }
    if discounted:
        values["discount"] = invoice.discount
        values["discount_amount"] = invoice.discount_amount
    return values


def credit_note_values(
    note: CreditNote, lines: Iterable[CreditNoteLine], taxes: Iterable[CreditNoteTax]
) -> dict[str, Any]:
    invoice = note.invoice
    return {
        **post_values(note),
        "number": note.number,
        "invoice_number": invoice.number,
        "instant": note.issued_at,
        "cashier": note.cashier,
        "customer": invoice.customer_name or None,
        "currency": note.currency,
        "lines": [
            {
                "article_code": ln.invoice_line.article_code,
                "label": ln.invoice_line.label,
                "quantity": ln.quantity,
                "unit_price": ln.invoice_line.unit_price,
                "discount_rate": ln.invoice_line.discount_rate,
                "vat_rate": ln.vat_rate,
                "total_incl_vat": ln.total_incl_tax,
            }
            for ln in sorted(lines, key=lambda ln: ln.position)
        ],
        "vat": _vat(taxes),
        "total_excl_vat": note.total_excl_tax,
        "total_vat": note.total_tax,
        "total_incl_vat": note.total_incl_tax,
        "payments": [{"method": note.refund_method, "amount": note.total_incl_tax}],
    }


def _quantity_texts(quantity: Decimal) -> list[str]:
    """The texts a version 1 quantity may have been hashed as: as stored, or as typed
    (without the stored trailing zeros)."""
    texts = [str(quantity)]
    plain = format(quantity.normalize(), "f") if quantity else "0"
    if plain not in texts:
        texts.append(plain)
    return texts


def invoice_legacy(invoice: Invoice) -> list[dict[str, Any]]:
    lines = sorted(invoice.lines.all(), key=lambda ln: ln.position)
    base = {
        "kind": "invoice",
        "number": invoice.number,
        "validated_at": invoice.validated_at.isoformat(),
        "store": invoice.store.name,
        "currency": invoice.currency,
        "total_excl_tax": invoice.total_excl_tax,
        "total_tax": invoice.total_tax,
        "total_incl_tax": invoice.total_incl_tax,
        "taxes": [
            [str(t.vat_rate), t.base_excl_tax, t.tax]
            for t in sorted(invoice.taxes.all(), key=lambda t: t.vat_rate)
        ],
        "payments": [
            [p.method, p.amount] for p in sorted(invoice.payments.all(), key=lambda p: p.position)
        ],
    }
    variants = []
    for pick in (0, -1):
        variants.append(
            {
                **base,
                "lines": [
                    [
                        ln.article_code,
                        _quantity_texts(ln.quantity)[pick],
                        ln.unit_price,
                        str(ln.discount_rate),
                        ln.total_incl_tax,
                    ]
                    for ln in lines
                ],
            }
        )
    return variants


def credit_note_legacy(note: CreditNote) -> list[dict[str, Any]]:
    lines = sorted(note.lines.all(), key=lambda ln: ln.position)
    base = {
        "kind": "credit_note",
        "number": note.number,
        "invoice": note.invoice.number,
        "issued_at": note.issued_at.isoformat(),
        "store": note.store.name,
        "total_incl_tax": note.total_incl_tax,
        "taxes": [
            [str(t.vat_rate), t.base_excl_tax, t.tax]
            for t in sorted(note.taxes.all(), key=lambda t: t.vat_rate)
        ],
    }
    return [
        {
            **base,
            "lines": [
                [
                    ln.invoice_line.article_code,
                    _quantity_texts(ln.quantity)[pick],
                    ln.total_incl_tax,
                ]
                for ln in lines
            ],
        }
        for pick in (0, -1)
    ]


def settlement_values(settlement: AccountSettlement) -> dict[str, Any]:
    return {
        **post_values(settlement),
        "instant": settlement.settled_at,
        "cashier": settlement.cashier,
        "customer_id": settlement.customer_id,
        "customer": settlement.customer_name,
        "currency": settlement.currency,
        "amount": settlement.amount,
        "method": settlement.method,
        "reference": settlement.reference,
    }


def register() -> None:
    register_kind(
        "account_settlement",
        chain=SETTLEMENTS,
        model=AccountSettlement,
        instant="settled_at",
        values=settlement_values,
        number=lambda s: f"{s.post_prefix or ''} {s.customer_name}".strip(),
    )
    register_kind(
        "invoice",
        chain=DOCUMENTS,
        model=Invoice,
        instant="validated_at",
        values=lambda inv: invoice_values(
            inv, inv.lines.all(), inv.taxes.all(), inv.payments.all()
        ),
        legacy=invoice_legacy,
        prefetch=("lines", "taxes", "payments"),
        select=("store",),
        number=lambda inv: inv.number,
    )
    register_kind(
        "credit_note",
        chain=DOCUMENTS,
        model=CreditNote,
        instant="issued_at",
        values=lambda note: credit_note_values(note, note.lines.all(), note.taxes.all()),
        legacy=credit_note_legacy,
        prefetch=("lines__invoice_line", "taxes"),
        select=("store", "invoice"),
        number=lambda note: note.number,
    )
