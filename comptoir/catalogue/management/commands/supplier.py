"""``comptoir supplier add|set|list``: suppliers (the seed's ``Fournisseur``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.catalogue.selectors import supplier_list
from comptoir.catalogue.services import supplier_create, supplier_update
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


class Command(ComptoirCommand):
    help = _("Crée, modifie et liste les fournisseurs.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        add = add_action(actions, "add", _("Crée un fournisseur."))
        add.add_argument("--code", required=True, help=_("code du fournisseur"))
        add.add_argument("--name", required=True, help=_("nom"))
        add_contact_arguments(add)
        change = add_action(actions, "set", _("Modifie les champs donnés d'un fournisseur."))
        change.add_argument("code", metavar="CODE", help=_("code du fournisseur"))
        change.add_argument("--name", help=_("nom"))
        add_contact_arguments(change)
        add_archive_flags(change)
        listing = add_action(actions, "list", _("Liste les fournisseurs."))
        listing.add_argument("--search", help=_("partie du code ou du nom"))
        listing.add_argument(
            "--archived", action="store_true", help=_("inclure les fournisseurs archivés")
        )
        add_limit(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            rows = [
                contact_data(s)
                for s in supplier_list(
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
            supplier = supplier_create(
                code=options["code"], name=options["name"], **contact_options(options)
            )
            message = _("Fournisseur %(code)s créé.")
        else:
            supplier = supplier_update(
                code=options["code"],
                name=options["name"],
                archived=options["archived"],
                **contact_options(options),
            )
            message = _("Fournisseur %(code)s modifié.")
        data = contact_data(supplier)
        if options.get("json"):
            self.emit_json(data)
        else:
            self.stdout.write(message % {"code": supplier.code})
            write_contacts(self.stdout, [data])
