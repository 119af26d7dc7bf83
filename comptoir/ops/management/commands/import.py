"""``comptoir import articles|customers|suppliers FILE.csv``: checked whole, written in chunks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from comptoir.lib.management.base import ComptoirCommand
from comptoir.ops.imports import (
    ARTICLE_COLUMNS,
    CONTACT_COLUMNS,
    KINDS,
    ImportRefusedError,
    import_rows,
    parse_csv,
    read_text,
)

PROGRESS_FROM = 200  # rows; smaller files import in a blink


class Command(ComptoirCommand):
    help = _(
        "Importe des articles, des clients ou des fournisseurs depuis un fichier CSV "
        "(UTF-8, avec ou sans BOM ; séparateur « ; » ou « , » détecté sur l'en-tête). "
        "La première ligne nomme les colonnes, dans n'importe quel ordre : "
        "articles : %(articles)s (code, name et price obligatoires ; plusieurs codes-barres "
        "séparés par des espaces ou « | ») ; clients : %(contacts)s (name obligatoire, code "
        "généré s'il est vide) ; fournisseurs : %(contacts)s (code et name obligatoires). "
        "Tout ou rien : tout le fichier est d'abord vérifié avec les règles de saisie "
        "habituelles ; si une seule ligne est refusée, rien n'est importé et chaque ligne "
        "refusée est signalée avec son numéro et la raison (code de sortie 2). Sinon tout "
        "est écrit par lots courts, sans bloquer la synchronisation des caisses. Une ligne "
        "dont le code existe déjà met à jour cette fiche : importer deux fois le même "
        "fichier ne crée rien en double."
    ) % {"articles": ",".join(ARTICLE_COLUMNS), "contacts": ",".join(CONTACT_COLUMNS)}
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help=_("ce qu'il faut importer"))
        parser.add_argument("file", metavar="FICHIER.csv", help=_("fichier CSV à importer"))
        parser.add_argument(
            "--delimiter",
            choices=[";", ",", "\t"],
            help=_("séparateur de champs (sinon détecté)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        rows = parse_csv(kind, read_text(Path(options["file"])), delimiter=options["delimiter"])
        console = Console(stderr=True)
        stages = {"check": _("Vérification"), "write": _("Écriture")}
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=len(rows) < PROGRESS_FROM or not console.is_terminal,
        ) as progress:
            task = progress.add_task(stages["check"], total=len(rows))

            def advance(stage: str, n: int) -> None:
                progress.update(task, description=stages[stage], completed=n)

            try:
                result = import_rows(kind, rows, progress=advance)
            except ImportRefusedError as exc:
                if options["json"]:
                    self.emit_json(
                        {
                            "kind": kind,
                            "imported": 0,
                            "errors": [{"line": e.line, "message": e.message} for e in exc.errors],
                        }
                    )
                raise
        if options["json"]:
            self.emit_json(
                {
                    "kind": kind,
                    "imported": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "errors": [],
                }
            )
        else:
            self.stdout.write(
                _(
                    "%(n)d ligne(s) importée(s) (%(kind)s) : %(created)d créée(s), "
                    "%(updated)d mise(s) à jour, %(unchanged)d déjà à jour."
                )
                % {
                    "n": result.rows,
                    "kind": kind,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
            )
        sys.stderr.flush()
