"""``comptoir customer add|set|list``: customers (the seed's ``Client``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.core.management.base import ComptoirCommand
from comptoir.core.management.helpers import (
    add_action,
    add_actions,
    add_archive_flags,
    add_contact_arguments,
    add_limit,
    contact_data,
    contact_options,
    write_contacts,
)
from comptoir.customers.selectors import customer_list
from comptoir.customers.services import customer_create, customer_update


class Command(ComptoirCommand):
    help = _("Crée, modifie et liste les clients.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        add = add_action(actions, "add", _("Crée un client."))
        add.add_argument("--name", required=True, help=_("nom"))
        add.add_argument("--code", help=_("code du client (sinon généré)"))
        add_contact_arguments(add)
        change = add_action(actions, "set", _("Modifie les champs donnés d'un client."))
        change.add_argument("ref", metavar="REF", help=_("code ou identifiant du client"))
        change.add_argument("--name", help=_("nom"))
        add_contact_arguments(change)
        add_archive_flags(change)
        listing = add_action(actions, "list", _("Liste les clients."))
        listing.add_argument("--search", help=_("partie du code, du nom, du téléphone ou e-mail"))
        listing.add_argument(
            "--archived", action="store_true", help=_("inclure les clients archivés")
        )
        add_limit(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            rows = [
                contact_data(c)
                for c in customer_list(
                    search=options["search"],
                    include_archived=options["archived"],
                    limit=options["limit"],
                )
            ]
            if options.get("json"):
                self.emit_json(rows)
            else:
                write_contacts(self.stdout, rows)
            return
        if action == "add":
            customer = customer_create(
                name=options["name"], code=options["code"], **contact_options(options)
            )
            message = _("Client %(code)s créé.")
        else:
            customer = customer_update(
                ref=options["ref"],
                name=options["name"],
                archived=options["archived"],
                **contact_options(options),
            )
            message = _("Client %(code)s modifié.")
        data = contact_data(customer)
        if options.get("json"):
            self.emit_json(data)
        else:
            self.stdout.write(message % {"code": customer.code})
            write_contacts(self.stdout, [data])
