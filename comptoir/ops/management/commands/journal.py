"""``comptoir journal ACTION``: the fiscal journal of this post.

One sub-parser and one handler per action: ``verify [--post PREFIX] [--json]``
recomputes every chain of this post (on the hub: of every post) and exits 1 unless all
are whole; ``events`` lists the technical events (JET); ``archive --period YEAR
[--month YYYY-MM] --out FILE.zip`` writes the archive of a closed period
(:mod:`comptoir.ops.archives`). ``comptoir journal archive-verify FILE.zip`` is run by
the entry point
itself, before it looks for a home (``comptoir.cli``, :mod:`comptoir.fiscal.command`):
it never reaches this command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.events.models import EventKind
from comptoir.events.selectors import event_data, event_label, event_list
from comptoir.events.services import event_record
from comptoir.journal.verify import ChainResult, chain_name, journal_outcome, journal_verify
from comptoir.lib.errors import NotFoundError
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import (
    add_action,
    add_actions,
    add_limit,
    add_period,
    local_text,
    parse_period,
    write_table,
)
from comptoir.ops.archives import archive_scope, journal_archive, period_parse

EXIT_BROKEN = 1


def result_line(result: ChainResult) -> str:
    head = _("Poste %(post)s, %(chain)s (%(n)d enregistrements)") % {
        "post": result.till.prefix,
        "chain": chain_name(result.chain),
        "n": len(result.stored),
    }
    if result.status == "whole":
        return _("%(head)s : intègre.") % {"head": head}
    found = result.first_record()
    first = result.first
    what = (found.spec.number(found.obj) if found else "") or (
        f"n° {first.sequence}" if first else ""
    )
    text = _("%(head)s : %(state)s au n° %(seq)s (%(what)s) : %(why)s")
    return text % {
        "head": head,
        "state": _("rompue") if result.status == "broken" else _("en attente"),
        "seq": first.sequence if first else "?",
        "what": what,
        "why": result.message(),
    }


class Command(ComptoirCommand):
    help = _(
        "Journal fiscal : « verify » recalcule chaque chaîne d'enregistrements fiscaux et "
        "leurs signatures (sur le serveur : de chaque poste) ; « events » liste les "
        "événements techniques ; « archive » écrit l'archive d'une période close. "
        "« comptoir journal archive-verify FICHIER.zip » vérifie une archive, sans base de données."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        verify = add_action(
            actions,
            "verify",
            _(
                "Recalcule les chaînes et les signatures du journal fiscal ; code de sortie 0 "
                "seulement si toutes sont intègres, sinon 1 avec le premier enregistrement "
                "en cause de chaque chaîne."
            ),
        )
        verify.add_argument("--post", metavar="PREFIXE", help=_("le poste de ce préfixe seul"))
        events = add_action(
            actions, "events", _("Événements techniques (JET), les plus récents d'abord.")
        )
        add_period(events)
        events.add_argument(
            "--kind",
            action="append",
            default=[],
            choices=EventKind.values,
            metavar="TYPE",
            help=_("type d'événement (option répétable) : %(kinds)s")
            % {"kinds": ", ".join(EventKind.values)},
        )
        events.add_argument("--till", metavar="PREFIXE", help=_("préfixe de la caisse, ex. C1"))
        add_limit(events)
        archive = add_action(
            actions,
            "archive",
            _(
                "Écrit l'archive d'une période close (exercice ou mois) : chaque "
                "enregistrement fiscal en CSV et JSON, un manifeste des empreintes SHA-256 et "
                "des têtes de chaîne, signé par ce poste. Sur le serveur : un magasin, tous "
                "ses postes."
            ),
        )
        archive.add_argument(
            "--period", metavar="AAAA", help=_("l'exercice qui commence cette année-là")
        )
        archive.add_argument("--month", metavar="AAAA-MM", help=_("un mois seulement"))
        archive.add_argument(
            "--out", metavar="FICHIER.zip", required=True, help=_("fichier à écrire")
        )
        archive.add_argument("--post", metavar="PREFIXE", help=_("le poste de ce préfixe seul"))
        archive.add_argument(
            "--store",
            metavar="NOM",
            help=_("sur le serveur : le magasin (obligatoire s'il y en a plusieurs)"),
        )
        archive.add_argument(
            "--force", action="store_true", help=_("remplace le fichier s'il existe")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {"verify": self.verify, "events": self.events, "archive": self.archive}[
            options["action"]
        ]
        handler(options)

    def verify(self, options: dict[str, Any]) -> None:
        post = options.get("post")
        results = journal_verify(post)
        if post and not results:
            from comptoir.stores.models import Till

            if not Till.objects.filter(prefix=post.strip().upper()).exists():
                raise NotFoundError(_("Poste inconnu : « %(post)s ».") % {"post": post})
        outcome = journal_outcome(results)
        whole = outcome == "whole"
        with transaction.atomic():
            event_record(kind=EventKind.JOURNAL_VERIFIED, details={"outcome": outcome})
        if options.get("json"):
            self.emit_json({"ok": whole, "chains": [r.as_json() for r in results]})
        else:
            for result in results:
                self.stdout.write(result_line(result))
            if not results:
                self.stdout.write(_("Aucun enregistrement fiscal à vérifier."))
            elif whole:
                self.stdout.write(_("Journal fiscal intègre."))
            else:
                self.stdout.write(_("Journal fiscal NON intègre."))
        if not whole:
            sys.stdout.flush()
            sys.exit(EXIT_BROKEN)

    def events(self, options: dict[str, Any]) -> None:
        start, end = parse_period(options)
        rows = list(
            event_list(
                date_from=start,
                date_to=end,
                kinds=options["kind"],
                till_prefix=options["till"],
                limit=options["limit"],
            )
        )
        if options.get("json"):
            self.emit_json([event_data(e) for e in rows])
            return
        write_table(
            self.stdout,
            [_("Date"), _("Caisse"), _("N°"), _("Événement"), _("Utilisateur"), _("Détails")],
            [
                [
                    local_text(e.occurred_at),
                    e.till.prefix,
                    e.number,
                    event_label(e.kind),
                    e.user,
                    " ".join(f"{k}={v}" for k, v in sorted(e.details_data.items())),
                ]
                for e in rows
            ],
        )

    def archive(self, options: dict[str, Any]) -> None:
        store, tills = archive_scope(store_name=options["store"], post=options["post"])
        period = period_parse(year=options["period"], month=options["month"], store=store)
        made = journal_archive(
            tills=tills, period=period, out=Path(options["out"]), force=options["force"]
        )
        if options.get("json"):
            self.emit_json(made.as_json())
        else:
            self.stdout.write(
                _(
                    "Archive écrite : %(path)s (%(n)d enregistrements du %(start)s au %(end)s, "
                    "SHA-256 %(sha)s)."
                )
                % {
                    "path": made.path,
                    "n": made.records,
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                    "sha": made.sha256,
                }
            )
        if not made.whole:
            sys.stdout.flush()
            sys.stderr.write(
                _(
                    "Attention : le journal de la période n'est pas intègre ; l'archive le "
                    "montre telle quelle. %(problem)s"
                )
                % {"problem": made.problem}
                + "\n"
            )
            sys.exit(EXIT_BROKEN)
