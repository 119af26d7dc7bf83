"""``comptoir node reenroll``: give this till a new credential from the hub, keeping its data.

(``comptoir node init`` creates a home, before Django starts: see ``comptoir.cli``.)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.home import read_config
from comptoir.lib.errors import ValidationError
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions
from comptoir.syncengine.enroll import node_reenroll
from comptoir.syncengine.selectors import pending_count


class Command(ComptoirCommand):
    help = _("Rattache de nouveau cette caisse au serveur (révoquée, ou jeton perdu).")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        reenroll = add_action(
            actions,
            "reenroll",
            _(
                "Utilise un code de « comptoir hub enroll --reenroll » : nouveau jeton, mêmes "
                "caisse, série et données ; les ventes en attente partent à la synchronisation "
                "suivante."
            ),
        )
        reenroll.add_argument("--code", required=True, help=_("code donné par le serveur"))
        reenroll.add_argument(
            "--server", default="", help=_("adresse du serveur (par défaut celle déjà connue)")
        )
        reenroll.add_argument(
            "--insecure-http",
            action="store_true",
            help=_("accepter http:// vers un serveur qui n'est pas local"),
        )
        reenroll.add_argument(
            "--trust-server-certificate",
            action="store_true",
            help=_("épingler le certificat (auto-signé) du serveur https://"),
        )
        reenroll.add_argument(
            "--ca-file", default="", help=_("autorité de certification du serveur (fichier PEM)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        home = settings.COMPTOIR_HOME
        config = read_config(home) if home is not None else None
        if home is None or config is None or config.role != "node":
            raise ValidationError(
                _("Cette commande se lance sur une caisse (node), pas sur le hub.")
            )
        config = node_reenroll(
            home=home,
            config=config,
            code=options["code"],
            server=options["server"],
            insecure_http=options["insecure_http"],
            trust_server_certificate=options["trust_server_certificate"],
            ca_file=options["ca_file"],
        )
        pending = pending_count()
        self.stdout.write(
            ngettext(
                "Caisse « %(till)s » (%(prefix)s) rattachée de nouveau à %(url)s ; %(n)d "
                "changement en attente partira à la prochaine synchronisation (comptoir sync, "
                "ou d'elle-même sous comptoir serve).",
                "Caisse « %(till)s » (%(prefix)s) rattachée de nouveau à %(url)s ; %(n)d "
                "changements en attente partiront à la prochaine synchronisation (comptoir "
                "sync, ou d'elle-même sous comptoir serve).",
                pending,
            )
            % {
                "till": config.till_name,
                "prefix": config.till_prefix,
                "url": config.hub_url,
                "n": pending,
            }
        )
