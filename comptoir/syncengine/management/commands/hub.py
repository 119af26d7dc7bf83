"""``comptoir hub enroll|revoke|nodes``: the tills attached to this hub; ``comptoir hub
check``: what is wrong with this hub on its server (``comptoir.syncengine.hubcheck``);
``comptoir hub compact``: its change log compacted now (``comptoir.syncengine.compaction``;
``serve`` does it daily)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.lib.errors import ValidationError
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_action, add_actions, local_text, write_table
from comptoir.sync.models import NodeCredential
from comptoir.syncengine.auth import (
    enrollment_create,
    node_revoke,
    reenroll_command,
    reenrollment_create,
)
from comptoir.syncengine.compaction import log_compact, log_size
from comptoir.syncengine.hubcheck import hub_check


class Command(ComptoirCommand):
    help = _(
        "Enrôle, révoque et liste les caisses rattachées à ce serveur ; compacte son journal "
        "des changements."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        enroll = add_action(actions, "enroll", _("Crée un code d'enrôlement (valable 24 h)."))
        enroll.add_argument("--name", required=True, help=_("nom de la nouvelle caisse"))
        enroll.add_argument("--store", help=_("magasin (par défaut celui du serveur)"))
        enroll.add_argument("--prefix", help=_("préfixe de ses numéros (par défaut C1, C2...)"))
        enroll.add_argument(
            "--reenroll",
            action="store_true",
            help=_(
                "pour une caisse déjà enrôlée (révoquée, ou jeton perdu) : le code lui donne un "
                "nouveau jeton et elle garde sa série et ses données"
            ),
        )
        revoke = add_action(actions, "revoke", _("Retire l'accès d'une caisse."))
        revoke.add_argument("name", help=_("nom de la caisse"))
        add_action(actions, "nodes", _("Liste les caisses enrôlées."))
        compact = add_action(
            actions,
            "compact",
            _(
                "Compacte le journal des changements : les entrées remplacées par une plus "
                "récente, et celles plus anciennes que l'horizon (log_horizon_days)."
            ),
        )
        compact.add_argument(
            "--horizon-days",
            type=int,
            default=None,
            help=_("horizon en jours (par défaut log_horizon_days de comptoir.toml, 30)"),
        )
        compact.add_argument(
            "--before-seq",
            type=int,
            default=None,
            help=_("couper le journal jusqu'à ce numéro, quel que soit son âge (essais)"),
        )
        check = add_action(
            actions,
            "check",
            _(
                "Vérifie que ce serveur est prêt pour la production (HTTPS, PostgreSQL, "
                "sauvegardes, disque, heure) ; code de sortie 1 s'il y a un problème."
            ),
        )
        check.add_argument(
            "--url",
            default="",
            help=_(
                "adresse publique du serveur (https://...), pour vérifier HTTPS à travers le relais"
            ),
        )
        check.add_argument(
            "--ca-file", default="", help=_("autorité de certification de --url (PEM), si privée")
        )
        check.add_argument(
            "--backups", default="", help=_("dossier des sauvegardes (sinon HOME/backups)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.COMPTOIR_ROLE != "hub":
            raise ValidationError(_("Cette commande se lance sur le serveur central (hub)."))
        action = options["action"]
        if action == "check":
            self._check(options)
        elif action == "compact":
            self._compact(options)
        elif action == "enroll" and options["reenroll"]:
            if options["prefix"]:
                raise ValidationError(
                    _("--prefix ne va pas avec --reenroll : la caisse garde sa série.")
                )
            code = reenrollment_create(name=options["name"], store=options["store"])
            self.stdout.write(
                _("Sur la caisse « %(name)s », dans son dossier de données, lancez :")
                % {"name": options["name"].strip()}
            )
            self.stdout.write(f"  comptoir node reenroll --code {code}")
            self.stdout.write(code)
        elif action == "enroll":
            code = enrollment_create(
                name=options["name"], store=options["store"], prefix=options["prefix"]
            )
            self.stdout.write(_("Sur la caisse, lancez :"))
            self.stdout.write(f"  comptoir node init --server URL_DU_SERVEUR --code {code}")
            self.stdout.write(code)
        elif action == "revoke":
            cred = node_revoke(name=options["name"])
            self.stdout.write(_("Caisse %(name)s révoquée.") % {"name": cred.name})
            self.stdout.write(
                _("Pour lui rendre l'accès plus tard : « %(command)s ».")
                % {"command": reenroll_command(cred.name)}
            )
        else:
            rows: list[dict[str, Any]] = [
                {
                    "name": c.name,
                    "node_id": c.node_id,
                    "till": c.till.prefix,
                    "last_seen_at": c.last_seen_at,
                    "revoked": c.revoked_at is not None,
                    "version": c.version,
                }
                for c in NodeCredential.objects.select_related("till").order_by("name")
            ]
            if options.get("json"):
                self.emit_json(rows)
                return
            write_table(
                self.stdout,
                [_("Caisse"), _("Série"), _("Vue le"), _("Version"), _("Révoquée")],
                [
                    [
                        r["name"],
                        r["till"],
                        local_text(r["last_seen_at"]) if r["last_seen_at"] else "",
                        r["version"],
                        _("oui") if r["revoked"] else "",
                    ]
                    for r in rows
                ],
            )

    def _compact(self, options: dict[str, Any]) -> None:
        days, before = options["horizon_days"], options["before_seq"]
        if days is not None and not 1 <= days <= 3650:
            raise ValidationError(_("--horizon-days : un nombre de jours de 1 à 3650."))
        if before is not None and before < 0:
            raise ValidationError(_("--before-seq : un numéro positif."))
        size_before = log_size()
        report = log_compact(
            horizon=timedelta(days=days) if days is not None else None, before_seq=before
        )
        size_after = log_size()
        data = {
            **report.as_json(),
            "bytes_before": size_before["bytes"],
            "bytes_after": size_after["bytes"],
        }
        if options.get("json"):
            self.emit_json(data)
            return
        self.stdout.write(
            _(
                "Journal des changements : %(before)d entrées avant, %(after)d après "
                "(%(superseded)d remplacées par une plus récente, %(expired)d plus anciennes "
                "que %(days)d jours)."
            )
            % {
                "before": report.entries_before,
                "after": report.entries_after,
                "superseded": report.superseded,
                "expired": report.expired,
                "days": report.horizon_days,
            }
        )
        if report.through:
            self.stdout.write(
                _(
                    "Journal coupé jusqu'au numéro %(seq)d : une caisse restée en deçà reprendra "
                    "l'état actuel du serveur (ses ventes en attente sont gardées)."
                )
                % {"seq": report.through}
            )

    def _check(self, options: dict[str, Any]) -> None:
        home = settings.COMPTOIR_HOME
        assert home is not None  # the entry point runs commands in a home
        backups = Path(options["backups"]).expanduser() if options["backups"] else home / "backups"
        findings = hub_check(
            config=settings.COMPTOIR_CONFIG,
            home=home,
            backups=backups,
            url=options["url"],
            ca_file=options["ca_file"],
        )
        problems = [f for f in findings if not f.ok]
        if options.get("json"):
            self.emit_json([f.as_dict() for f in findings])
        else:
            self.stdout.write(_("Vérification du serveur central %(home)s :") % {"home": home})
            for finding in findings:
                self.stdout.write(f"  {'✅' if finding.ok else '❌'} {finding.text}")
                if finding.fix:
                    self.stdout.write(f"     → {finding.fix}")
            if not problems:
                self.stdout.write(_("Aucun problème."))
        if problems:
            raise CommandError(
                ngettext(
                    "%(n)d problème à corriger (voir ci-dessus).",
                    "%(n)d problèmes à corriger (voir ci-dessus).",
                    len(problems),
                )
                % {"n": len(problems)},
                returncode=1,
            )
