"""``comptoir customer settle`` and ``comptoir customer statement``: the customer's account
(« ardoise »), actions that sales adds to the customers' command (``customers.hooks``)."""

from __future__ import annotations

import argparse
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.customers.hooks import CommandAction, customer_command_action_register
from comptoir.customers.selectors import customer_get
from comptoir.lib.management.helpers import add_cashier, cashier_of, local_iso, write_table
from comptoir.lib.money import format_amount
from comptoir.sales.selectors import customer_statement
from comptoir.sales.services import account_settle
from comptoir.stores.selectors import store_current


def _settle_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="CODE", help=_("code ou identifiant du client"))
    parser.add_argument("--amount", required=True, help=_("montant réglé"))
    parser.add_argument(
        "--pay",
        default="cash",
        metavar="MOYEN[:REFERENCE]",
        help=_("code du moyen de paiement (cash par défaut) et sa référence si exigée"),
    )
    add_cashier(parser)  # type: ignore[arg-type]


def _settle(command: Any, options: dict[str, Any]) -> None:
    method, _sep, reference = options["pay"].partition(":")
    settlement = account_settle(
        customer=options["ref"],
        amount=options["amount"],
        method=method,
        reference=reference,
        cashier=cashier_of(options),
    )
    _statement(command, {**options, "ref": str(settlement.customer_id)})


def _statement_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="CODE", help=_("code ou identifiant du client"))


def _statement(command: Any, options: dict[str, Any]) -> None:
    customer = customer_get(ref=options["ref"])
    currency = store_current().currency
    rows = customer_statement(customer=customer)
    balance = rows[-1].balance if rows else 0
    if options.get("json"):
        command.emit_json(
            {
                "customer": customer.code,
                "name": customer.name,
                "credit_limit": format_amount(customer.credit_limit, currency),
                "balance": format_amount(balance, currency),
                "movements": [
                    {
                        "at": local_iso(r.at),
                        "kind": r.kind,
                        "number": r.number,
                        "debit": format_amount(r.debit, currency),
                        "credit": format_amount(r.credit, currency),
                        "balance": format_amount(r.balance, currency),
                    }
                    for r in rows
                ],
            }
        )
        return
    kinds = {"sale": _("vente"), "refund": _("avoir"), "settlement": _("règlement")}
    write_table(
        command.stdout,
        [_("Date"), _("Opération"), _("Pièce"), _("Débit"), _("Crédit"), _("Solde")],
        [
            [
                local_iso(r.at),
                kinds[r.kind],
                r.number,
                format_amount(r.debit, currency) if r.debit else "",
                format_amount(r.credit, currency) if r.credit else "",
                format_amount(r.balance, currency),
            ]
            for r in rows
        ],
    )
    command.stdout.write(
        _("Solde de %(name)s : %(balance)s %(currency)s (plafond %(limit)s).")
        % {
            "name": customer.name,
            "balance": format_amount(balance, currency),
            "currency": currency,
            "limit": format_amount(customer.credit_limit, currency),
        }
    )


def register() -> None:
    customer_command_action_register(
        CommandAction(
            "settle",
            _("Enregistre un règlement du client sur son compte."),
            _settle_arguments,
            _settle,
        )
    )
    customer_command_action_register(
        CommandAction(
            "statement",
            gettext_lazy("Relevé du compte du client : ventes sur compte, règlements, solde."),
            _statement_arguments,
            _statement,
        )
    )
