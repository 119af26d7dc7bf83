"""``comptoir customer add|set|list``: customers (the seed's ``Client``), and the actions
that apps above customers add (``customers.hooks``: sales adds ``settle`` and
``statement``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.customers.hooks import customer_command_actions
from comptoir.customers.selectors import customer_list
from comptoir.customers.services import customer_create, customer_update
from comptoir.lib.management.contacts import ContactCommand
from comptoir.lib.management.helpers import add_action


class Command(ContactCommand):
    help = gettext("Crée, modifie et liste les clients.")
    list_rows = staticmethod(customer_list)
    create = staticmethod(customer_create)
    update = staticmethod(customer_update)
    code_required = False
    key = "ref"
    texts = {
        "add": _("Crée un client."),
        "set": _("Modifie les champs donnés d'un client."),
        "list": _("Liste les clients."),
        "code": _("code du client (sinon généré)"),
        "key": _("code ou identifiant du client"),
        "search": _("partie du code, du nom, du téléphone ou e-mail"),
        "archived": _("inclure les clients archivés"),
        "created": _("Client %(code)s créé."),
        "changed": _("Client %(code)s modifié."),
    }

    def add_more(self, actions: Any) -> None:
        for name in ("add", "set"):
            actions.choices[name].add_argument(
                "--credit-limit",
                metavar=gettext("MONTANT"),
                help=gettext("plafond de crédit (ardoise) ; 0 : pas de vente sur compte"),
            )
        for action in customer_command_actions().values():
            action.arguments(add_action(actions, action.name, str(action.help)))

    def more_fields(self, options: dict[str, Any]) -> dict[str, Any]:
        limit = options.get("credit_limit")
        return {} if limit is None else {"credit_limit": limit}

    def handle_more(self, options: dict[str, Any]) -> None:
        customer_command_actions()[options["action"]].handle(self, options)
