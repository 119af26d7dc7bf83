"""``comptoir sync --mode push|pull|sync``: synchronise this till with the hub by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.syncengine import engine
from comptoir.syncengine.describe import describe_moves


class Command(ComptoirCommand):
    help = _("Synchronise avec le serveur : pull puis push (par défaut), ou l'un des deux.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mode",
            choices=("push", "pull", "sync"),
            default="sync",
            help=_("sens de la synchronisation"),
        )
        parser.add_argument(
            "--merge",
            action="store_true",
            help=_("accepté pour compatibilité : la fusion est toujours faite"),
        )
        parser.add_argument(
            "--retry-rejected",
            action="store_true",
            help=_("renvoyer les changements que le serveur avait refusés"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry_rejected"]:
            engine.retry_rejected()
        report = engine.sync(options["mode"])
        if options.get("json"):
            self.emit_json(
                {
                    "sent": dict(report.sent),
                    "received": dict(report.received),
                    "rejected": [{"model": m, "reason": r} for m, r in report.rejected],
                    "errors": report.errors,
                    "ok": report.ok,
                }
            )
        else:
            self.stdout.write(describe_moves(report.sent, report.received))
            for model, reason in report.rejected:
                self.stderr.write(
                    _("Refusé (%(model)s) : %(reason)s") % {"model": model, "reason": reason}
                )
        if not report.ok:
            raise CommandError(" ; ".join(report.errors), returncode=3)
        if report.rejected:
            raise CommandError(
                _("%(n)d changement(s) refusé(s) : voir « comptoir status ».")
                % {"n": len(report.rejected)},
                returncode=4,
            )
        if not options.get("json"):
            self.stdout.write("✅ " + _("Synchronisation réussie"))
