"""``comptoir invoice list|show``: validated invoices."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import (
    add_action,
    add_actions,
    add_limit,
    add_period,
    local_iso,
    local_text,
    parse_period,
    write_table,
)
from comptoir.lib.money import format_amount, format_money
from comptoir.sales.management.output import invoice_data, write_invoice
from comptoir.sales.models import Invoice
from comptoir.sales.selectors import invoice_detail, invoice_list


def _row(inv: Invoice) -> dict[str, Any]:
    return {
        "number": inv.number,
        "validated_at": local_iso(inv.validated_at),
        "till": inv.till.prefix,
        "customer": inv.customer.code if inv.customer else None,
        "cashier": inv.cashier,
        "currency": inv.currency,
        "total_excl_tax": format_amount(inv.total_excl_tax, inv.currency),
        "total_incl_tax": format_amount(inv.total_incl_tax, inv.currency),
        "credit_note_count": inv.credit_note_count,  # type: ignore[attr-defined]
    }


class Command(ComptoirCommand):
    help = _("Liste et affiche les factures validées.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        listing = add_action(actions, "list", _("Liste les factures, les plus récentes d'abord."))
        add_period(listing)
        listing.add_argument("--till", metavar="PREFIXE", help=_("préfixe de la caisse, ex. C1"))
        add_limit(listing)
        show = add_action(actions, "show", _("Affiche une facture et ses avoirs."))
        show.add_argument("number", metavar="NUMERO", help=_("numéro de la facture"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            invoice = invoice_detail(number=options["number"])
            if options.get("json"):
                self.emit_json(invoice_data(invoice))
            else:
                write_invoice(self.stdout, invoice)
            return
        start, end = parse_period(options)
        invoices = invoice_list(
            date_from=start, date_to=end, till_prefix=options["till"], limit=options["limit"]
        )
        if options.get("json"):
            self.emit_json([_row(inv) for inv in invoices])
            return
        write_table(
            self.stdout,
            [_("Numéro"), _("Date"), _("Caisse"), _("Client"), _("Total TTC"), _("Avoirs")],
            [
                [
                    inv.number,
                    local_text(inv.validated_at),
                    inv.till.prefix,
                    inv.customer.code if inv.customer else "",
                    format_money(inv.total_incl_tax, inv.currency),
                    inv.credit_note_count or "",  # type: ignore[attr-defined]
                ]
                for inv in invoices
            ],
        )
