"""``comptoir training on|off|status``: the training mode of this post's till."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions
from comptoir.stores.selectors import till_current
from comptoir.training.selectors import training_status
from comptoir.training.services import training_set


class Command(ComptoirCommand):
    help = _(
        "Mode formation de la caisse de ce poste : les ventes y sont imprimées « FORMATION », "
        "numérotées à part, et ne comptent ni dans le stock, ni dans les statistiques, ni "
        "dans les clôtures, ni dans le journal fiscal."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        for name, text in (
            ("on", _("Active le mode formation (enregistré dans le journal des événements).")),
            ("off", _("Désactive le mode formation (enregistré dans le journal des événements).")),
        ):
            sub = add_action(actions, name, text)
            sub.add_argument("--user", default="", help=_("nom de la personne qui bascule"))
        add_action(actions, "status", _("Indique si le mode formation est actif."))

    def handle(self, *args: Any, **options: Any) -> None:
        till = till_current()
        action = options["action"]
        changed = False
        if action in ("on", "off"):
            changed = training_set(on=action == "on", till=till, user=options["user"], source="cli")
        status = training_status(till=till)
        if options.get("json"):
            self.emit_json({**status, "changed": changed} if action != "status" else status)
            return
        if action == "status":
            text = (
                _(
                    "La caisse %(till)s est en mode formation depuis le %(since)s "
                    "(%(n)d ventes de formation)."
                )
                if status["training"]
                else _(
                    "La caisse %(till)s n'est pas en mode formation (%(n)d ventes de formation)."
                )
            )
        elif action == "on":
            text = (
                _("Mode formation activé sur la caisse %(till)s : les ventes ne comptent pas.")
                if changed
                else _("La caisse %(till)s était déjà en mode formation.")
            )
        else:
            text = (
                _("Mode formation désactivé sur la caisse %(till)s : les ventes comptent.")
                if changed
                else _("La caisse %(till)s n'était pas en mode formation.")
            )
        since = status["since"]
        if since:
            since = datetime.fromisoformat(since).strftime("%d/%m/%Y %H:%M")
        self.stdout.write(text % {"till": till.prefix, "since": since or "", "n": status["sales"]})
