"""Shared pieces of the data commands: sub-commands, option types, plain-text tables.

Sub-command parsers repeat ``--home`` and ``--json`` with ``default=SUPPRESS``, so that
``comptoir article list --json`` and ``comptoir article --json list`` both work: argparse
copies a sub-parser's defaults over the parent's values, and a suppressed default is
never copied.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandParser, OutputWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError
from comptoir.lib.quantity import format_quantity


def add_actions(parser: CommandParser) -> Any:
    """The ``action`` sub-parsers of a command; use :func:`add_action` to add each one."""
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def add_action(actions: Any, name: str, help_text: str) -> CommandParser:
    sub: CommandParser = actions.add_parser(name, help=help_text, description=help_text)
    sub.add_argument("--home", default=argparse.SUPPRESS, help=_("dossier de données"))
    sub.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help=_("sortie JSON")
    )
    return sub


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            _("« %(value)s » n'est pas un entier positif.") % {"value": text}
        )
    return value


def add_limit(parser: CommandParser) -> None:
    parser.add_argument(
        "--limit", type=positive_int, default=None, help=_("nombre de lignes au plus")
    )


def parse_day(text: str | None, *, option: str) -> date | None:
    """A ``YYYY-MM-DD`` date given on the command line, or ``None``."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            _("Date invalide pour %(option)s : « %(value)s » (format AAAA-MM-JJ).")
            % {"option": option, "value": text}
        ) from None


def parse_period(options: dict[str, Any]) -> tuple[date | None, date | None]:
    start = parse_day(options.get("date_from"), option="--from")
    end = parse_day(options.get("date_to"), option="--to")
    if start and end and start > end:
        raise ValidationError(
            _("La période est vide : --from %(start)s est après --to %(end)s.")
            % {"start": start.isoformat(), "end": end.isoformat()}
        )
    return start, end


def add_period(parser: CommandParser) -> None:
    parser.add_argument("--from", dest="date_from", metavar="AAAA-MM-JJ", help=_("à partir du"))
    parser.add_argument("--to", dest="date_to", metavar="AAAA-MM-JJ", help=_("jusqu'au (inclus)"))


def local_iso(value: datetime) -> str:
    """An instant in the installation's time zone, ISO 8601 with its offset."""
    return timezone.localtime(value).isoformat()


def local_text(value: datetime) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def quantity_text(value: Decimal) -> str:
    return format_quantity(value)


def write_table(out: OutputWrapper, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain-text table; numbers (strings starting with a digit or minus) align right."""
    cells = [[str(c) for c in row] for row in rows]
    if not cells:
        out.write(_("(aucune ligne)"))
        return
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def numeric(cell: str) -> bool:
        return bool(cell) and (cell[0].isdigit() or (cell[0] == "-" and cell[1:2].isdigit()))

    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    out.write("  ".join("-" * w for w in widths))
    for row in cells:
        out.write(
            "  ".join(
                c.rjust(w) if numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True)
            ).rstrip()
        )


def add_contact_arguments(parser: CommandParser) -> None:
    parser.add_argument("--phone", help=_("téléphone"))
    parser.add_argument("--email", help=_("adresse e-mail"))
    parser.add_argument("--address", help=_("adresse postale"))
    parser.add_argument("--siren", help=_("SIREN (9 chiffres)"))
    parser.add_argument("--vat-number", help=_("n° de TVA intracommunautaire"))


CONTACT_FIELDS = ("phone", "email", "address", "siren", "vat_number")


def contact_options(options: dict[str, Any]) -> dict[str, str]:
    """The contact fields given on the command line (absent ones are left out)."""
    return {f: options[f] for f in CONTACT_FIELDS if options.get(f) is not None}


def contact_data(party: Any) -> dict[str, Any]:
    """A customer or supplier as JSON."""
    return {
        "id": str(party.pk),
        "code": party.code,
        "name": party.name,
        **{f: getattr(party, f) for f in CONTACT_FIELDS},
        "archived": party.archived,
    }


def write_contacts(out: OutputWrapper, rows: Sequence[dict[str, Any]]) -> None:
    write_table(
        out,
        [_("Code"), _("Nom"), _("Téléphone"), _("E-mail"), _("SIREN"), _("Archivé")],
        [
            [
                r["code"],
                r["name"],
                r["phone"],
                r["email"],
                r["siren"],
                _("oui") if r["archived"] else "",
            ]
            for r in rows
        ],
    )


def add_archive_flags(parser: CommandParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--active", dest="archived", action="store_false", default=None, help=_("réactiver")
    )
    group.add_argument(
        "--archived", dest="archived", action="store_true", default=None, help=_("archiver")
    )


def add_cashier(parser: CommandParser) -> None:
    """``--cashier``: who makes the record. Without it, the manager created with the home
    (:func:`cashier_of`): a record made from the command line always belongs to someone, in
    the per-cashier statistics and in the fiscal journal."""
    parser.add_argument(
        "--cashier",
        default=argparse.SUPPRESS,
        help=_("nom du caissier (par défaut : le gérant créé à l'installation)"),
    )


def cashier_of(options: dict[str, Any]) -> str:
    """The ``--cashier`` given, else the home's first manager (the superuser ``init``
    made, ``--admin-user``); refused when the home has none and none is given."""
    given = options.get("cashier")
    if given is not None:
        name = str(given).strip()
        if not name:
            raise ValidationError(_("--cashier : indiquez un nom."))
        return name
    from django.contrib.auth import get_user_model

    first = (
        get_user_model()
        ._default_manager.filter(is_active=True, is_superuser=True)
        .order_by("date_joined", "pk")
        .values_list("username", flat=True)
        .first()
    )
    if first is None:
        raise ValidationError(
            _("Ce poste n'a aucun gérant actif : indiquez le caissier avec --cashier NOM.")
        )
    return str(first)
