"""``comptoir credit-note NUMBER [CODE:QTY ...]``: a credit note (avoir) against an invoice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_cashier, cashier_of
from comptoir.lib.money import format_money
from comptoir.sales.management.output import credit_note_data
from comptoir.sales.management.parsing import parse_item
from comptoir.sales.selectors import credit_note_detail
from comptoir.sales.services import ReturnLine, credit_note_issue


class Command(ComptoirCommand):
    help = _(
        "Émet un avoir sur une facture : retour complet sans article, ou retour des "
        "quantités données. Les articles rendus reviennent en stock."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("invoice", metavar="NUMERO", help=_("numéro de la facture"))
        parser.add_argument(
            "items",
            nargs="*",
            metavar="CODE:QTE",
            help=_("articles rendus et quantités (tout ce qui reste à rendre si aucun)"),
        )
        parser.add_argument("--reason", default="", help=_("motif du retour"))
        parser.add_argument(
            "--refund",
            default="cash",
            metavar="MOYEN",
            help=_("code du moyen de remboursement (cash par défaut, voir payment-method list)"),
        )
        add_cashier(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        returns = []
        for item in options["items"]:
            line = parse_item(item, allow_discount=False)
            returns.append(ReturnLine(article=line.article, quantity=line.quantity))
        note = credit_note_issue(
            invoice_number=options["invoice"].strip(),
            lines=returns,
            reason=options["reason"],
            refund_method=options["refund"],
            cashier=cashier_of(options),
        )
        note = credit_note_detail(pk=note.pk)
        if options.get("json"):
            self.emit_json(credit_note_data(note))
            return
        self.stdout.write(
            _("Avoir %(number)s émis sur la facture %(invoice)s : %(total)s.")
            % {
                "number": note.number,
                "invoice": note.invoice.number,
                "total": format_money(note.total_incl_tax, note.currency),
            }
        )
