"""``comptoir payment-method add|set|list``: a store's payment methods (data, per store)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions, write_table
from comptoir.sales.models import PaymentKind, PaymentMethod
from comptoir.sales.selectors import payment_method_list
from comptoir.sales.services import payment_method_create, payment_method_update
from comptoir.stores.selectors import store_get


def method_data(method: PaymentMethod) -> dict[str, Any]:
    return {
        "code": method.code,
        "name": method.name,
        "kind": method.kind,
        "gives_change": method.gives_change,
        "reference_required": method.reference_required,
        "active": method.active,
        "position": method.position,
    }


class Command(ComptoirCommand):
    help = _("Ajoute, modifie et liste les moyens de paiement du magasin.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        add = add_action(actions, "add", _("Ajoute un moyen de paiement au magasin."))
        add.add_argument(
            "--code", required=True, help=_("code (ex. wave), pour --pay CODE:MONTANT")
        )
        add.add_argument("--name", required=True, help=_("nom affiché (ex. Wave)"))
        add.add_argument(
            "--kind",
            default=PaymentKind.MOBILE.value,
            metavar="TYPE",
            help=_("type : %(kinds)s (mobile par défaut : Wave, Orange Money, MTN MoMo…)")
            % {"kinds": ", ".join(PaymentKind.values)},
        )
        add.add_argument(
            "--reference-required",
            action="store_true",
            help=_("la référence de la transaction est obligatoire"),
        )
        add.add_argument("--position", type=int, help=_("rang dans la liste"))
        change = add_action(actions, "set", _("Modifie les champs donnés d'un moyen de paiement."))
        change.add_argument("code", metavar="CODE", help=_("code du moyen de paiement"))
        change.add_argument("--name", help=_("nom affiché"))
        change.add_argument("--position", type=int, help=_("rang dans la liste"))
        state = change.add_mutually_exclusive_group()
        state.add_argument(
            "--active", dest="active", action="store_true", default=None, help=_("réactiver")
        )
        state.add_argument(
            "--inactive", dest="active", action="store_false", default=None, help=_("désactiver")
        )
        change.add_argument(
            "--reference-required",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=_("la référence de la transaction est obligatoire (ou non)"),
        )
        listing = add_action(actions, "list", _("Liste les moyens de paiement du magasin."))
        for sub in (add, change, listing):
            sub.add_argument("--store", help=_("nom du magasin (sinon celui de ce poste)"))

    def handle(self, *args: Any, **options: Any) -> None:
        store = store_get(name=options["store"])
        action = options["action"]
        if action == "list":
            rows = [method_data(m) for m in payment_method_list(store=store, include_inactive=True)]
            if options.get("json"):
                self.emit_json(rows)
                return
            yes, no = _("oui"), _("non")
            write_table(
                self.stdout,
                [_("Code"), _("Nom"), _("Type"), _("Référence"), _("Actif")],
                [
                    [
                        r["code"],
                        r["name"],
                        str(PaymentKind(r["kind"]).label),
                        yes if r["reference_required"] else no,
                        yes if r["active"] else no,
                    ]
                    for r in rows
                ],
            )
            return
        if action == "add":
            method = payment_method_create(
                store=store,
                code=options["code"],
                name=options["name"],
                kind=options["kind"].strip().lower(),
                reference_required=options["reference_required"],
                position=options["position"],
            )
            message = _("Moyen de paiement « %(code)s » ajouté.")
        else:
            method = payment_method_update(
                store=store,
                code=options["code"],
                name=options["name"],
                active=options["active"],
                reference_required=options["reference_required"],
                position=options["position"],
            )
            message = _("Moyen de paiement « %(code)s » modifié.")
        if options.get("json"):
            self.emit_json(method_data(method))
        else:
            self.stdout.write(message % {"code": method.code})
