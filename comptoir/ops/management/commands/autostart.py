"""``comptoir autostart install|remove|status [--print]``: the till starts at logon (a
Scheduled Task on Windows, a systemd user unit on Linux; see :mod:`comptoir.ops.autostart`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.ops import autostart, launcher


class Command(ComptoirCommand):
    help = _("Démarre la caisse à l'ouverture de session (tâche planifiée ou service systemd).")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=("install", "remove", "status"),
            help=_("install : installer ; remove : retirer ; status : état"),
        )
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_only",
            help=_("afficher ce qui serait enregistré, sans rien enregistrer"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        home = Path(settings.COMPTOIR_HOME or ".")
        plan = autostart.plan_for(home)
        action = options["action"]
        if options["print_only"] and action != "status":
            self._print(plan, action)
        elif action == "install":
            autostart.install(plan)
            self.stdout.write(self._installed_text(plan))
        elif action == "remove":
            if autostart.remove(plan):
                self.stdout.write(_("Démarrage automatique retiré ; la caisse est arrêtée."))
            else:
                self.stdout.write(_("Aucun démarrage automatique n'était installé."))
        else:
            self._status(plan, home, json=options["json"])

    def _installed_text(self, plan: autostart.Plan) -> str:
        if plan.system == "windows":
            return _(
                "Tâche planifiée « %(name)s » installée : la caisse démarre à chaque ouverture "
                "de session, et maintenant."
            ) % {"name": autostart.TASK_NAME}
        return _(
            "Service %(name)s installé (%(path)s) : la caisse démarre à chaque ouverture de "
            "session, et maintenant."
        ) % {"name": autostart.UNIT_NAME, "path": plan.path}

    def _print(self, plan: autostart.Plan, action: str) -> None:
        if action == "install":
            if plan.path is not None:
                self.stdout.write(_("Fichier %(path)s :") % {"path": plan.path})
            else:
                self.stdout.write(_("Tâche planifiée (TACHE.xml) :"))
            self.stdout.write(plan.text)
        self.stdout.write(_("Commandes :"))
        for command in plan.install if action == "install" else plan.remove:
            self.stdout.write("  " + " ".join(command))

    def _status(self, plan: autostart.Plan, home: Path, *, json: bool) -> None:
        registered = autostart.registered(plan)
        lock = launcher.HomeLock(home)
        running = lock.held_elsewhere()
        url = lock.served_url(wait=0) if running else None
        if json:
            self.emit_json(
                {
                    "system": plan.system,
                    "installed": registered.installed,
                    "for_this_home": registered.for_this_home,
                    "running": running,
                    "url": url,
                }
            )
            return
        if not registered.installed:
            self.stdout.write(_("Démarrage automatique : non installé."))
        elif registered.for_this_home:
            self.stdout.write(_("Démarrage automatique : installé pour ce dossier."))
        else:
            self.stdout.write(
                _(
                    "Démarrage automatique : installé pour un autre dossier (ou une autre "
                    "installation) ; « comptoir autostart install » le remplace."
                )
            )
        if running:
            self.stdout.write(_("Caisse : servie (%(url)s).") % {"url": url or "?"})
        else:
            self.stdout.write(_("Caisse : arrêtée."))
