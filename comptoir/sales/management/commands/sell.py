"""``comptoir sell CODE:QTY ...``: ring up and validate a sale at this post's till."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_cashier, cashier_of
from comptoir.lib.money import format_money
from comptoir.sales.hooks import quick_sale_hooks
from comptoir.sales.management.output import invoice_data, write_invoice
from comptoir.sales.management.parsing import (
    manager_named,
    parse_item,
    parse_payments,
    payments_needing_total,
)
from comptoir.sales.scanned import sale_line_read
from comptoir.sales.selectors import invoice_detail, sale_total
from comptoir.sales.services import invoice_sell
from comptoir.stores.models import Till
from comptoir.stores.selectors import store_current


class Command(ComptoirCommand):
    help = _(
        "Valide une vente à la caisse de ce poste et affiche le numéro de la facture. "
        "Sans --pay, le total est payé en espèces, exactement."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "items",
            nargs="+",
            metavar="CODE:QTE[:REMISE%]",
            help=_(
                "code ou code-barres de l'article, quantité (virgule ou point ; 1 si absente) "
                "et remise en %% facultative, ex. A12:2 ou POMMES:0,750:10 ; ou l'étiquette "
                "d'une balance (EAN-13 de 20 à 29), qui porte sa quantité"
            ),
        )
        parser.add_argument("--customer", help=_("code ou identifiant du client"))
        parser.add_argument(
            "--pay",
            action="append",
            default=[],
            metavar="MOYEN[:MONTANT[:REFERENCE]]",
            help=_(
                "paiement : le code d'un moyen de paiement du magasin (payment-method list), "
                "un montant et la référence de la transaction si le moyen l'exige (option "
                "répétable) ; un paiement sans montant prend le reste à payer ; les espèces "
                "en trop sont rendues"
            ),
        )
        parser.add_argument(
            "--over-limit",
            action="store_true",
            help=_(
                "accord du responsable : une vente sur compte peut dépasser le plafond de "
                "crédit du client"
            ),
        )
        parser.add_argument(
            "--discount",
            default="",
            metavar="REMISE",
            help=_(
                "remise sur tout le panier : un pourcentage (10%%) ou un montant (1,50), "
                "répartie sur les lignes ; au-delà du seuil, avec --manager"
            ),
        )
        parser.add_argument(
            "--manager",
            metavar="NOM",
            help=_("gérant qui accorde une remise au-delà du seuil (discount_manager_threshold)"),
        )
        add_cashier(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        cashier = cashier_of(options)
        store = store_current()
        lines = [sale_line_read(parse_item(item), store=store) for item in options["items"]]
        discount = options["discount"]
        manager = manager_named(options["manager"]) if options["manager"] else None
        payments = None
        if options["pay"]:
            if payments_needing_total(options["pay"]):
                total, currency = sale_total(lines=lines, discount=discount)
            else:
                total, currency = 0, store_current().currency
            payments = parse_payments(options["pay"], total=total, currency=currency)
        notices: list[str] = []

        def prepare(till: Till) -> None:
            # What the apps above sales do first (cash: open a session), in the sale's
            # transaction: a refused sale leaves nothing of it.
            for hook in quick_sale_hooks():
                notice = hook(till, cashier)
                if notice:
                    notices.append(notice)

        invoice = invoice_sell(
            lines=lines,
            payments=payments,
            customer=options["customer"],
            cashier=cashier,
            prepare=prepare,
            discount=discount,
            discount_approved_by=manager,
            allow_over_limit=options["over_limit"],
        )
        for notice in notices:
            self.stderr.write(notice)
        invoice = invoice_detail(number=invoice.number)
        if options.get("json"):
            self.emit_json(invoice_data(invoice))
            return
        self.stdout.write(
            _("Facture %(number)s validée : %(total)s.")
            % {
                "number": invoice.number,
                "total": format_money(invoice.total_incl_tax, invoice.currency),
            }
        )
        if options["verbosity"] > 1:
            write_invoice(self.stdout, invoice)
        elif invoice.change_given:
            self.stdout.write(
                _("Rendu : %(change)s")
                % {"change": format_money(invoice.change_given, invoice.currency)}
            )
