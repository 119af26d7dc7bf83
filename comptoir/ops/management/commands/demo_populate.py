"""``comptoir demo_populate``: fill a fresh home with sample data (used by ``comptoir demo``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

from comptoir.lib.management.base import ComptoirCommand
from comptoir.ops.sampledata import populate

LABELS = {
    "Fournisseurs": _("Fournisseurs"),
    "Articles": _("Articles"),
    "Clients": _("Clients"),
    "Stock initial": _("Stock initial"),
    "Ventes": _("Ventes"),
}


class Command(ComptoirCommand):
    help = _("Remplit un comptoir neuf avec des données d'exemple (démonstration).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=21, help=_("jours de ventes"))
        parser.add_argument("--articles", type=int, default=300, help=_("nombre d'articles"))
        parser.add_argument("--customers", type=int, default=80, help=_("nombre de clients"))
        parser.add_argument("--sales-per-day", type=int, default=40, help=_("ventes par jour"))
        parser.add_argument("--seed", type=int, default=42, help=_("graine du hasard"))
        parser.add_argument(
            "--catalogue-only",
            action="store_true",
            help=_("seulement le catalogue, les fournisseurs et les clients"),
        )
        parser.add_argument(
            "--no-reference",
            action="store_true",
            help=_("le catalogue existe déjà (reçu du serveur)"),
        )
        parser.add_argument(
            "--no-stock", action="store_true", help=_("sans réceptions ni inventaires")
        )
        parser.add_argument("--no-sales", action="store_true", help=_("sans ventes"))
        parser.add_argument(
            "--activity-seed", default=None, help=_("graine des ventes (une par caisse)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tasks: dict[str, TaskID] = {}
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        ) as bar:

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(LABELS.get(step, step), total=total)
                bar.update(tasks[step], completed=done, total=total)

            counts = populate(
                days=options["days"],
                articles=options["articles"],
                customers=options["customers"],
                sales_per_day=options["sales_per_day"],
                seed=options["seed"],
                catalogue_only=options["catalogue_only"],
                reference=not options["no_reference"],
                stock=not options["no_stock"],
                sales=not options["no_sales"],
                activity_seed=options["activity_seed"],
                progress=progress,
            )
        summary = ", ".join(f"{name} : {value}" for name, value in counts.items())
        self.stdout.write(_("Données d'exemple créées (%(summary)s).") % {"summary": summary})
