"""``comptoir verify``: is this till identical to the hub? Model by model, row by row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.stores.selectors import till_current
from comptoir.syncengine import digest
from comptoir.syncengine.engine import client_from_settings
from comptoir.syncengine.selectors import sync_status

SHOWN = 20


class Command(ComptoirCommand):
    help = _("Compare ce poste avec le serveur ; code de sortie 0 seulement s'ils sont identiques.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", action="append", help=_("ne comparer que ce modèle"))

    def handle(self, *args: Any, **options: Any) -> None:
        store_id = till_current().store_id
        client = client_from_settings()
        try:
            remote = client.digest()["models"]
            local = digest.digests(store_id)
            labels = options["model"] or sorted(set(local) | set(remote))
            report: dict[str, Any] = {}
            for label in labels:
                mine, theirs = local.get(label), remote.get(label)
                if mine is not None and theirs is not None and mine["digest"] == theirs["digest"]:
                    report[label] = {"identical": True, "count": mine["count"]}
                    continue
                rows_here = digest.row_hashes(label, store_id) if mine is not None else {}
                rows_hub = client.digest(label)["rows"] if theirs is not None else {}
                diff = digest.differences(rows_here, rows_hub)
                report[label] = {
                    "identical": False,
                    "count": len(rows_here),
                    "hub_count": len(rows_hub),
                    **diff,
                }
        finally:
            client.close()
        pending = sync_status().pending
        identical = all(r["identical"] for r in report.values())
        if options.get("json"):
            self.emit_json({"identical": identical, "pending": pending, "models": report})
        else:
            self._write(report, pending)
        if not identical:
            raise CommandError(_("Différences avec le serveur (voir ci-dessus)."), returncode=1)

    def _write(self, report: dict[str, Any], pending: int) -> None:
        for label, r in report.items():
            if r["identical"]:
                self.stdout.write(
                    _("✓ %(m)s : %(n)d ligne(s), identiques") % {"m": label, "n": r["count"]}
                )
                continue
            self.stdout.write(
                _("✗ %(m)s : %(n)d ici, %(h)d sur le serveur")
                % {"m": label, "n": r["count"], "h": r["hub_count"]}
            )
            for key, title in (
                ("only_here", _("seulement ici")),
                ("only_hub", _("seulement sur le serveur")),
                ("different", _("différents")),
            ):
                if r[key]:
                    more = f" (+{len(r[key]) - SHOWN})" if len(r[key]) > SHOWN else ""
                    self.stdout.write(f"    {title} : {', '.join(r[key][:SHOWN])}{more}")
        if pending:
            self.stdout.write(
                _("%(n)d changement(s) en attente d'envoi : synchronisez d'abord.") % {"n": pending}
            )
