"""``comptoir closing list|show``: the fiscal closings (day, month, fiscal year) of the posts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.closings.management.output import closing_data, write_closing, write_closings
from comptoir.closings.models import ClosingKind
from comptoir.closings.selectors import closing_get, closing_list
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions, add_limit
from comptoir.stores.models import Till


class Command(ComptoirCommand):
    help = _(
        "Clôtures fiscales (jour, mois, exercice) : faites d'elles-mêmes quand la période "
        "est finie, à la première action après minuit."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        listing = add_action(actions, "list", _("Clôtures, les plus récentes d'abord."))
        listing.add_argument(
            "--kind", choices=ClosingKind.values, default=None, help=_("jour, mois ou exercice")
        )
        add_limit(listing)
        show = add_action(actions, "show", _("Détail d'une clôture."))
        show.add_argument(
            "id",
            metavar="ID",
            help=_(
                "identifiant, ou day:AAAA-MM-JJ, month:AAAA-MM, year:AAAA (la caisse de ce "
                "poste ; PREFIXE:day:... pour une autre)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            closings = list(closing_list(kind=options["kind"], limit=options["limit"]))
            if options.get("json"):
                self.emit_json([closing_data(c) for c in closings])
            else:
                write_closings(self.stdout, closings)
            return
        own = (
            Till.objects.filter(node_id=settings.COMPTOIR_NODE_ID, archived=False)
            .order_by("created_at")
            .first()
        )
        closing = closing_get(key=options["id"], till=own)
        if options.get("json"):
            self.emit_json(closing_data(closing, detail=True))
        else:
            write_closing(self.stdout, closing)
