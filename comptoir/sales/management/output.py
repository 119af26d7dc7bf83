"""Invoices and credit notes as JSON data and as French text, for the sales commands."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from comptoir.lib.management.helpers import local_iso, local_text, write_table
from comptoir.lib.money import format_amount, format_money, money_text
from comptoir.lib.quantity import format_quantity
from comptoir.sales.models import CreditNote, Invoice


def _taxes(document: Invoice | CreditNote) -> list[dict[str, Any]]:
    money = document.currency
    return [
        {
            "vat_rate": str(t.vat_rate),
            "base_excl_tax": format_amount(t.base_excl_tax, money),
            "tax": format_amount(t.tax, money),
            "total_incl_tax": format_amount(t.total_incl_tax, money),
        }
        for t in document.taxes.all()
    ]


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    money = invoice.currency
    return {
        "id": str(invoice.pk),
        "number": invoice.number,
        "validated_at": local_iso(invoice.validated_at),
        "business_date": invoice.business_date.isoformat(),
        "till": invoice.till.prefix,
        "customer": invoice.customer.code if invoice.customer else None,
        "customer_name": invoice.customer_name,
        "cashier": invoice.cashier,
        "currency": money,
        "totals": {
            "excl_tax": format_amount(invoice.total_excl_tax, money),
            "tax": format_amount(invoice.total_tax, money),
            "incl_tax": format_amount(invoice.total_incl_tax, money),
            "paid": format_amount(invoice.total_paid, money),
        },
        "change_given": format_amount(invoice.change_given, money),
        "discount": invoice.discount or None,
        "discount_amount": format_amount(invoice.discount_amount, money),
        "lines": [
            {
                "position": line.position,
                "article": line.article_code,
                "label": line.label,
                "quantity": format_quantity(line.quantity),
                "unit": line.unit,
                "unit_price": format_amount(line.unit_price, money),
                "discount_rate": str(line.discount_rate),
                "discount_amount": format_amount(line.discount_amount, money),
                "basket_discount": format_amount(line.basket_discount, money),
                "vat_rate": str(line.vat_rate),
                "total_excl_tax": format_amount(line.total_excl_tax, money),
                "total_incl_tax": format_amount(line.total_incl_tax, money),
            }
            for line in invoice.lines.all()
        ],
        "taxes": _taxes(invoice),
        "payments": [
            {"method": p.method, "amount": format_amount(p.amount, money), "reference": p.reference}
            for p in invoice.payments.all()
        ],
        "credit_notes": [
            {
                "number": note.number,
                "issued_at": local_iso(note.issued_at),
                "total_incl_tax": format_amount(note.total_incl_tax, money),
            }
            for note in sorted(invoice.credit_notes.all(), key=lambda n: n.issued_at)
        ],
    }


def credit_note_data(note: CreditNote) -> dict[str, Any]:
    money = note.currency
    return {
        "id": str(note.pk),
        "number": note.number,
        "invoice": note.invoice.number,
        "issued_at": local_iso(note.issued_at),
        "reason": note.reason,
        "refund_method": note.refund_method,
        "currency": money,
        "totals": {
            "excl_tax": format_amount(note.total_excl_tax, money),
            "tax": format_amount(note.total_tax, money),
            "incl_tax": format_amount(note.total_incl_tax, money),
        },
        "lines": [
            {
                "position": line.position,
                "article": line.invoice_line.article_code,
                "quantity": format_quantity(line.quantity),
                "total_incl_tax": format_amount(line.total_incl_tax, money),
            }
            for line in note.lines.all()
        ],
        "taxes": _taxes(note),
    }


def write_invoice(out: OutputWrapper, invoice: Invoice) -> None:
    """The invoice as a French receipt-like summary."""
    data = invoice_data(invoice)
    currency = data["currency"]
    money = partial(money_text, currency=currency)
    out.write(
        _("Facture %(number)s du %(date)s, caisse %(till)s")
        % {"number": data["number"], "date": local_text(invoice.validated_at), "till": data["till"]}
    )
    if data["customer_name"]:
        out.write(_("Client : %(name)s") % {"name": data["customer_name"]})
    write_table(
        out,
        [_("Article"), _("Désignation"), _("Qté"), _("P.U. TTC"), _("Remise %"), _("Total TTC")],
        [
            [
                ln["article"],
                ln["label"],
                ln["quantity"],
                money(ln["unit_price"]),
                ln["discount_rate"],
                money(ln["total_incl_tax"]),
            ]
            for ln in data["lines"]
        ],
    )
    for tax in data["taxes"]:
        out.write(
            _("TVA %(rate)s %% : base %(base)s, TVA %(tax)s")
            % {
                "rate": tax["vat_rate"],
                "base": money(tax["base_excl_tax"]),
                "tax": money(tax["tax"]),
            }
        )
    if invoice.discount:
        out.write(
            _("Remise sur le panier %(discount)s : -%(amount)s")
            % {"discount": invoice.discount, "amount": money(data["discount_amount"])}
        )
    totals = data["totals"]
    out.write(
        _("Total HT %(excl_tax)s, TVA %(tax)s, total TTC %(incl_tax)s")
        % {key: money(value) for key, value in totals.items()}
    )
    for payment in invoice.payments.all():
        out.write(
            _("Payé %(method)s : %(amount)s")
            % {
                "method": payment.get_method_display(),
                "amount": format_money(payment.amount, currency),
            }
        )
    if invoice.change_given:
        out.write(_("Rendu : %(change)s") % {"change": money(data["change_given"])})
    for note in data["credit_notes"]:
        out.write(
            _("Avoir %(number)s du %(date)s : %(amount)s")
            % {
                "number": note["number"],
                "date": note["issued_at"][:10],
                "amount": money(note["total_incl_tax"]),
            }
        )
