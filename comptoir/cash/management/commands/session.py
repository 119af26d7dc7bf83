"""``comptoir session open|cash-in|cash-out|x|close|list``: the cash session of this post's till."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.cash.management.output import (
    difference_word,
    report_data,
    session_data,
    write_report,
    write_sessions,
)
from comptoir.cash.models import CashSession
from comptoir.cash.selectors import report_x, report_z, session_list, session_open_get
from comptoir.cash.services import cash_in, cash_out, session_close, session_open
from comptoir.lib.errors import ValidationError
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import (
    add_action,
    add_actions,
    add_cashier,
    add_limit,
    cashier_of,
)
from comptoir.lib.money import format_amount, format_money, parse_amount
from comptoir.stores.selectors import till_current


def parse_counts(items: list[str], currency: str) -> dict[str, int] | None:
    """``--count 50:2 --count 0,20:5`` (value in the currency, pieces) as a count by
    denomination in minor units; None without any."""
    if not items:
        return None
    counts: dict[str, int] = {}
    for item in items:
        value, sep, pieces = item.rpartition(":")
        if not sep or not pieces.strip().isdigit():
            raise ValidationError(
                _("Comptage invalide : « %(item)s » (VALEUR:NOMBRE, ex. 20:3).") % {"item": item}
            )
        key = str(parse_amount(value, currency))
        counts[key] = counts.get(key, 0) + int(pieces)
    return counts


class Command(ComptoirCommand):
    help = _(
        "Session de caisse de ce poste : ouverture avec le fond de caisse, entrées et "
        "sorties d'espèces, rapport X, clôture avec comptage à l'aveugle (rapport Z)."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        count_help = _(
            "comptage par coupure, VALEUR:NOMBRE (option répétable), ex. --count 20:3 "
            "--count 0,50:4"
        )
        opening = add_action(actions, "open", _("Ouvre la session avec son fond de caisse."))
        opening.add_argument("--float", dest="amount", metavar="MONTANT", help=_("fond de caisse"))
        opening.add_argument("--count", action="append", default=[], help=count_help)
        add_cashier(opening)
        for name, text in (
            ("cash-in", _("Entrée d'espèces dans le tiroir (monnaie de la banque...).")),
            ("cash-out", _("Sortie d'espèces du tiroir (fournisseur payé, retrait...).")),
        ):
            sub = add_action(actions, name, text)
            sub.add_argument("amount", metavar="MONTANT", help=_("montant"))
            sub.add_argument("--reason", required=True, help=_("motif (obligatoire)"))
            add_cashier(sub)
        add_action(actions, "x", _("Rapport X de la session ouverte (ne modifie rien)."))
        closing = add_action(
            actions,
            "close",
            _("Ferme la session avec le montant compté dans le tiroir et affiche le rapport Z."),
        )
        closing.add_argument("--counted", metavar="MONTANT", help=_("montant compté"))
        closing.add_argument("--count", action="append", default=[], help=count_help)
        add_cashier(closing)
        listing = add_action(actions, "list", _("Sessions de caisse, les plus récentes d'abord."))
        add_limit(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            sessions = list(session_list(limit=options["limit"]))
            if options.get("json"):
                self.emit_json([session_data(s) for s in sessions])
            else:
                write_sessions(self.stdout, sessions)
            return
        till = till_current()
        currency = till.store.currency
        if action == "open":
            session = session_open(
                amount=options["amount"],
                counts=parse_counts(options["count"], currency),
                cashier=cashier_of(options),
                till=till,
            )
            self._opened(session, options)
        elif action in ("cash-in", "cash-out"):
            move = cash_in if action == "cash-in" else cash_out
            result = move(
                amount=options["amount"],
                reason=options["reason"],
                cashier=cashier_of(options),
                till=till,
            )
            self._moved(result.movement.kind, result.movement.amount, result, currency, options)
        elif action == "x":
            current = session_open_get(till=till)
            if current is None:
                raise ValidationError(
                    _("Aucune session de caisse n'est ouverte sur la caisse %(till)s.")
                    % {"till": till.prefix}
                )
            self._report("X", current, report_x(session=current), options)
        else:
            closing = session_close(
                counted=options["counted"],
                counts=parse_counts(options["count"], currency),
                cashier=cashier_of(options),
                till=till,
            )
            session = CashSession.objects.select_related("till", "closing").get(
                pk=closing.session_id
            )
            self._report("Z", session, report_z(session=session), options)

    def _opened(self, session: CashSession, options: dict[str, Any]) -> None:
        if options.get("json"):
            self.emit_json(session_data(session))
            return
        self.stdout.write(
            _("Session n° %(n)d ouverte à la caisse %(till)s : fond de caisse %(amount)s.")
            % {
                "n": session.number,
                "till": session.till.prefix,
                "amount": format_money(session.float_amount, session.currency),
            }
        )

    def _moved(
        self, kind: str, amount: int, result: Any, currency: str, options: dict[str, Any]
    ) -> None:
        expected = format_amount(result.expected_after, currency)
        if result.exceeds_drawer:
            self.stderr.write(
                _(
                    "Attention : la sortie dépasse ce que le tiroir devrait contenir "
                    "(%(expected)s attendus après la sortie)."
                )
                % {"expected": format_money(result.expected_after, currency)}
            )
        if options.get("json"):
            self.emit_json(
                {
                    "session": result.movement.session.number,
                    "number": result.movement.number,
                    "kind": kind,
                    "amount": format_amount(amount, currency),
                    "reason": result.movement.reason,
                    "expected": expected,
                    "exceeds_drawer": result.exceeds_drawer,
                }
            )
            return
        if kind == "in":
            text = _("Entrée de %(a)s enregistrée ; espèces attendues dans le tiroir : %(e)s.")
        else:
            text = _("Sortie de %(a)s enregistrée ; espèces attendues dans le tiroir : %(e)s.")
        values = {
            "a": format_money(amount, currency),
            "e": format_money(result.expected_after, currency),
        }
        self.stdout.write(text % values)

    def _report(
        self, kind: str, session: CashSession, report: Any, options: dict[str, Any]
    ) -> None:
        data = report_data(kind, session, report)
        if options.get("json"):
            self.emit_json(data)
            return
        write_report(self.stdout, session, data)
        if kind == "Z":
            cash = data["cash"]
            self.stdout.write(
                _("Session n° %(n)d fermée (%(what)s).")
                % {"n": session.number, "what": difference_word(cash["difference"])}
            )
