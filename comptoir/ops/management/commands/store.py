"""``comptoir store set|show``: the store's legal identity, as receipts and invoices print it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from comptoir.lib.identity import FIELDS
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions
from comptoir.lib.money import format_amount
from comptoir.stores.models import Store
from comptoir.stores.selectors import store_get
from comptoir.stores.services import store_update

# Options whose value is text on several lines: each repetition adds a line.
LINES = ("address", "receipt_header", "receipt_footer", "payment_terms")


def store_data(store: Store) -> dict[str, Any]:
    """What ``store show --json`` prints: amounts and rates as decimal strings."""
    data: dict[str, Any] = {"name": store.name, "currency": store.currency}
    for name in FIELDS:
        data[name] = getattr(store, name)
    if store.share_capital is not None:
        data["share_capital"] = format_amount(store.share_capital, store.currency)
    if store.late_penalty_rate is not None:
        data["late_penalty_rate"] = str(store.late_penalty_rate)
    return data


def labels() -> dict[str, str]:
    return {
        "name": _("Nom"),
        "currency": _("Devise"),
        "legal_name": _("Raison sociale"),
        "legal_form": _("Forme juridique"),
        "address": _("Adresse"),
        "postcode": _("Code postal"),
        "city": _("Ville"),
        "country": _("Pays"),
        "siret": _("SIRET"),
        "registration_number": _("N° d'immatriculation"),
        "vat_number": _("N° de TVA"),
        "rcs": _("RCS"),
        "share_capital": _("Capital social"),
        "receipt_header": _("En-tête des tickets"),
        "receipt_footer": _("Pied des tickets"),
        "fiscal_year_start": _("Premier mois de l'exercice"),
        "payment_terms": _("Conditions de paiement"),
        "late_penalty_rate": _("Taux des pénalités de retard (%)"),
    }


class Command(ComptoirCommand):
    help = gettext("Montre ou modifie l'identité légale du magasin (tickets et factures).")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        change = add_action(
            actions, "set", _("Modifie les champs donnés de l'identité du magasin.")
        )
        show = add_action(actions, "show", _("Montre l'identité du magasin."))
        for sub in (change, show):
            sub.add_argument("--store", help=_("nom du magasin (sinon celui de ce poste)"))
        change.add_argument("--legal-name", help=_("raison sociale"))
        change.add_argument("--legal-form", help=_("forme juridique (SAS, SARL, EI...)"))
        change.add_argument(
            "--address", action="append", help=_("adresse (une ligne ; répétez pour plusieurs)")
        )
        change.add_argument("--postcode", help=_("code postal"))
        change.add_argument("--city", help=_("ville"))
        change.add_argument("--country", help=_("pays, code à deux lettres (FR par défaut)"))
        change.add_argument("--siret", help=_("SIRET (14 chiffres ; vide pour l'effacer)"))
        change.add_argument(
            "--registration-number", help=_("n° d'immatriculation d'un magasin hors de France")
        )
        change.add_argument("--vat-number", help=_("n° de TVA intracommunautaire"))
        change.add_argument("--rcs", help=_("RCS, par exemple « RCS Lyon 123 456 789 »"))
        change.add_argument("--share-capital", help=_("capital social, dans la devise du magasin"))
        change.add_argument(
            "--header", dest="receipt_header", action="append", help=_("en-tête des tickets")
        )
        change.add_argument(
            "--footer", dest="receipt_footer", action="append", help=_("pied des tickets")
        )
        change.add_argument(
            "--fiscal-year-start", metavar="MOIS", help=_("premier mois de l'exercice (1 à 12)")
        )
        change.add_argument(
            "--payment-terms", action="append", help=_("conditions de paiement (factures B2B)")
        )
        change.add_argument(
            "--late-penalty-rate", help=_("taux annuel des pénalités de retard, en pourcentage")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = store_get(name=options["store"])
        if options["action"] == "set":
            changes = {name: options.get(name) for name in FIELDS}
            for name in LINES:
                lines = changes[name]
                if lines is not None:
                    changes[name] = "\n".join(lines)
            store = store_update(pk=store.pk, **changes)
        data = store_data(store)
        if options.get("json"):
            self.emit_json(data)
            return
        if options["action"] == "set":
            self.stdout.write(_("Magasin « %(name)s » modifié.") % {"name": store.name})
        names = labels()
        width = max(map(len, names.values())) + 1
        for key, value in data.items():
            text = "" if value is None else str(value)
            shown = text.replace("\n", "\n" + " " * width)
            self.stdout.write(f"{names[key]:<{width}}{shown}")
