"""``comptoir status``: where synchronisation stands on this post, in plain words."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir import health
from comptoir.journal.verify import checks_summary
from comptoir.lib.errors import ValidationError
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import local_text
from comptoir.lib.server_errors import server_errors
from comptoir.maintenance import BackupStatus, backup_status
from comptoir.syncengine.selectors import age_text, integrity_alert_open_list, sync_status


class Command(ComptoirCommand):
    help = _("Montre l'état de la synchronisation de ce poste.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help=_(
                "vérifier aussi toute la base de données de ce poste (PRAGMA integrity_check) ; "
                "code de sortie 2 si elle est endommagée"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = health.database_file()
        if database is not None and options["check"]:
            damage = health.check_database(database, full=True)
        else:
            damage = health.current_damage()
        if damage is not None and options["check"]:
            raise ValidationError(health.damage_sentence(damage))
        home, config = settings.COMPTOIR_HOME, settings.COMPTOIR_CONFIG
        backups = (
            backup_status(home, config)
            if home is not None and config is not None  # the hub's pg_dump files too
            else None
        )
        if not options.get("json"):
            self._health(damage, backups, checked=options["check"] and database is not None)
        st = sync_status()
        errors = server_errors()
        journal = checks_summary()
        if options.get("json"):
            self.emit_json(
                {
                    "role": st.role,
                    "database": {
                        "damaged": damage is not None,
                        "damage": damage.as_json() if damage else None,
                        "checked": health.FULL if options["check"] and database else None,
                    },
                    "backup": backups.as_json() if backups else None,
                    "hub_url": st.hub_url,
                    "online": st.online,
                    "last_push_at": st.last_push_at,
                    "last_pull_at": st.last_pull_at,
                    "last_contact_at": st.last_contact_at,
                    "offline_since": st.offline_since,
                    "push_failing_since": st.push_failing_since,
                    "last_error": st.last_error,
                    "pending": st.pending,
                    "snapshot_under_way": st.snapshot_under_way,
                    "rejected": st.rejected,
                    "integrity_alerts": st.integrity_alerts
                    if st.role != "hub"
                    else [
                        {
                            "model": a.model,
                            "row": str(a.row_id),
                            "document": a.document,
                            "node": a.node_id,
                            "reason": a.reason,
                            "at": a.last_at.isoformat(),
                        }
                        for a in integrity_alert_open_list()
                    ],
                    "pull_failures": st.pull_failures,
                    "clock_offset_ms": st.clock_offset_ms,
                    "clock_skewed": st.clock_skewed,
                    "journal": {
                        "status": journal["status"],
                        "checked_at": journal["checked_at"],
                        "problems": [
                            {
                                "post": c.till.prefix,
                                "chain": c.chain,
                                "status": c.status,
                                "number": c.number,
                                "sequence": c.sequence,
                                "reason": c.reason,
                            }
                            for c in journal["problems"]
                        ],
                    },
                    "server_errors_24h": errors.last_24h,
                    "last_server_error_at": errors.last_at or None,
                }
            )
            return
        out = self.stdout.write
        out(_("Rôle : serveur central (hub).") if st.role == "hub" else _("Rôle : caisse (node)."))
        for line in self._health_lines:
            out(line)
        self._journal(journal)
        if errors.last_24h:
            out(
                _("⚠ Erreurs du serveur ces dernières 24 h : %(n)d (dernière : %(at)s, %(what)s).")
                % {"n": errors.last_24h, "at": errors.last_at, "what": errors.last_message}
            )
        if st.role == "hub":
            for alert in integrity_alert_open_list():
                out(
                    _(
                        "⚠ Alerte d'intégrité : document %(document)s (%(model)s %(row)s) du "
                        "poste %(node)s validé sur sa caisse mais refusé ici, sa série a un "
                        "trou : %(reason)s"
                    )
                    % {
                        "document": alert.document,
                        "model": alert.model,
                        "row": alert.row_id,
                        "node": alert.node_id,
                        "reason": alert.reason,
                    }
                )
            return
        if not st.hub_url:
            out(_("Caisse autonome : rattachée à aucun serveur."))
            return
        out(_("Serveur : %(url)s") % {"url": st.hub_url})
        if st.online:
            out(_("En ligne (dernier contact %(age)s).") % {"age": age_text(st.last_contact_at)})
        elif st.offline_since:
            out(
                _("Hors ligne depuis %(age)s : %(err)s")
                % {
                    "age": age_text(st.offline_since).replace(_("il y a "), ""),
                    "err": st.last_error,
                }
            )
        elif st.push_failing_since:
            out(
                _("Envois en échec depuis %(age)s : %(err)s")
                % {
                    "age": age_text(st.push_failing_since).replace(_("il y a "), ""),
                    "err": st.last_error,
                }
            )
        else:
            out(_("Jamais synchronisé."))
        for label, when in (
            (_("Dernier envoi"), st.last_push_at),
            (_("Dernière réception"), st.last_pull_at),
        ):
            out(f"{label} : " + (f"{local_text(when)} ({age_text(when)})" if when else _("jamais")))
        out(_("Changements en attente d'envoi : %(n)d") % {"n": st.pending})
        if st.snapshot_under_way:
            out(
                _(
                    "Reprise de l'état actuel du serveur en cours : elle continue à la "
                    "prochaine synchronisation (les ventes en attente sont gardées)."
                )
            )
        for item in st.integrity_alerts:
            out(
                _(
                    "⚠ Alerte d'intégrité : document validé %(document)s (%(model)s %(row)s) "
                    "refusé par le serveur, sa série y a un trou : %(reason)s"
                )
                % item
            )
        for item in st.rejected:
            out(_("Refusé par le serveur (%(model)s %(row)s) : %(reason)s") % item)
        for item in st.pull_failures:
            out(_("Reçu mais non enregistré (%(model)s %(row)s) : %(reason)s") % item)
        if st.clock_skewed:
            out(
                _(
                    "⚠ L'horloge de ce poste diffère de celle du serveur de %(s)d s : "
                    "corrigez l'heure."
                )
                % {"s": st.clock_offset_ms // 1000}
            )

    def _health(
        self, damage: health.Damage | None, backups: BackupStatus | None, *, checked: bool
    ) -> None:
        """The lines on the database and the backups, printed after the role's."""
        lines = []
        if damage is not None:
            lines.append("⚠ " + health.damage_sentence(damage))
        elif checked:
            lines.append(_("Base de données vérifiée en entier (integrity_check) : intacte."))
        if backups is not None and backups.last_path is not None and backups.last_at:
            lines.append(
                _("Dernière sauvegarde : %(at)s (%(age)s), %(path)s, %(size)s octets.")
                % {
                    "at": local_text(backups.last_at),
                    "age": age_text(backups.last_at),
                    "path": backups.last_path,
                    "size": f"{backups.last_size:,}".replace(",", "\u202f"),
                }
            )
        if backups is not None and backups.warning:
            lines.append(_("⚠ Sauvegardes : %(warning)s") % {"warning": backups.warning})
        self._health_lines = lines

    def _journal(self, journal: dict[str, Any]) -> None:
        """The fiscal journal's last known state (``comptoir journal verify``)."""
        out = self.stdout.write
        when = (
            _(" (vérifié le %(at)s)") % {"at": local_text(journal["checked_at"])}
            if journal["checked_at"]
            else ""
        )
        texts = {
            "whole": _("Journal fiscal : intègre%(when)s."),
            "pending": _("Journal fiscal : en attente d'enregistrements%(when)s."),
            "broken": _("⚠ Journal fiscal : ROMPU%(when)s."),
            "unknown": _("Journal fiscal : pas encore vérifié (comptoir journal verify)."),
        }
        out(texts[journal["status"]] % {"when": when})
        for check in journal["problems"]:
            out(
                _("  Poste %(post)s, %(chain)s : %(number)s (n° %(seq)s) : %(why)s")
                % {
                    "post": check.till.prefix,
                    "chain": check.chain_name,
                    "number": check.number or "—",
                    "seq": check.sequence or "?",
                    "why": check.reason_text,
                }
            )
