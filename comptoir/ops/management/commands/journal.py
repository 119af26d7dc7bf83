"""``comptoir journal ACTION``: the fiscal journal of this post.

One sub-parser and one handler per action (``events`` here; ``journal archive-verify``
is handled by the entry point, with no home: see ``comptoir.cli``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.events.models import EventKind
from comptoir.events.selectors import event_data, event_label, event_list
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


class Command(ComptoirCommand):
    help = _("Journal fiscal de ce poste : événements techniques.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
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

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {"events": self.events}[options["action"]]
        handler(options)

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
