"""``comptoir label-rule add|list|archive``: how the store's label scales print their labels."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.catalogue.models import LabelRule
from comptoir.catalogue.selectors import label_rule_list
from comptoir.catalogue.services import label_rule_archive, label_rule_create
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions, positive_int, write_table
from comptoir.stores.selectors import store_get


def rule_data(rule: LabelRule) -> dict[str, Any]:
    """What ``label-rule list --json`` prints for a rule (positions are 1-based)."""
    return {
        "prefix": rule.prefix,
        "name": rule.name,
        "value": rule.value,
        "code_start": rule.code_start,
        "code_digits": rule.code_digits,
        "value_start": rule.value_start,
        "value_digits": rule.value_digits,
    }


def _span(start: int, digits: int) -> str:
    return f"{start}-{start + digits - 1}"


class Command(ComptoirCommand):
    help = _(
        "Règles de lecture des étiquettes des balances (EAN-13 commençant par 20 à 29) : "
        "où est le code article, et si la valeur est un poids ou un prix."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        add = add_action(actions, "add", _("Ajoute une règle d'étiquette au magasin."))
        show = add_action(actions, "list", _("Liste les règles d'étiquettes du magasin."))
        archive = add_action(
            actions,
            "archive",
            _("Retire la règle d'un préfixe : ses étiquettes ne sont plus lues."),
        )
        archive.add_argument("--prefix", required=True, help=_("préfixe de la règle à retirer"))
        for sub in (add, show, archive):
            sub.add_argument("--store", help=_("nom du magasin (sinon celui de ce poste)"))
        add.add_argument(
            "--prefix", required=True, help=_("préfixe de l'étiquette, de 2 à 29 (ex. 21)")
        )
        add.add_argument(
            "--code-digits",
            type=positive_int,
            required=True,
            help=_("nombre de chiffres du code article, qui suit le préfixe (ex. 5)"),
        )
        add.add_argument(
            "--value",
            choices=[choice.value for choice in LabelRule.Value],
            required=True,
            help=_("weight : poids en grammes ; price : prix en unité mineure (centimes)"),
        )
        add.add_argument("--name", default="", help=_("les balances qui l'impriment (facultatif)"))
        add.add_argument(
            "--code-start",
            type=positive_int,
            help=_("position du premier chiffre du code (sinon juste après le préfixe)"),
        )
        add.add_argument(
            "--value-start",
            type=positive_int,
            help=_("position du premier chiffre de la valeur (sinon juste après le code)"),
        )
        add.add_argument(
            "--value-digits",
            type=positive_int,
            help=_("nombre de chiffres de la valeur (sinon jusqu'à la position 12)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = store_get(name=options["store"])
        if options["action"] == "add":
            rule = label_rule_create(
                store=store,
                prefix=options["prefix"],
                code_digits=options["code_digits"],
                value=options["value"],
                code_start=options["code_start"],
                value_start=options["value_start"],
                value_digits=options["value_digits"],
                name=options["name"],
            )
            if options.get("json"):
                self.emit_json(rule_data(rule))
                return
            self.stdout.write(
                _("Règle d'étiquette %(prefix)s ajoutée au magasin « %(store)s ».")
                % {"prefix": rule.prefix, "store": store.name}
            )
            return
        if options["action"] == "archive":
            rule = label_rule_archive(store=store, prefix=options["prefix"])
            if options.get("json"):
                self.emit_json(rule_data(rule))
                return
            self.stdout.write(
                _("Règle d'étiquette %(prefix)s retirée du magasin « %(store)s ».")
                % {"prefix": rule.prefix, "store": store.name}
            )
            return
        rules = [rule_data(rule) for rule in label_rule_list(store=store)]
        if options.get("json"):
            self.emit_json(rules)
            return
        kinds = dict(LabelRule.Value.choices)
        write_table(
            self.stdout,
            [_("Préfixe"), _("Code article"), _("Valeur"), _("Positions"), _("Nom")],
            [
                (
                    r["prefix"],
                    _span(r["code_start"], r["code_digits"]),
                    kinds[r["value"]],
                    _span(r["value_start"], r["value_digits"]),
                    r["name"],
                )
                for r in rules
            ],
        )
