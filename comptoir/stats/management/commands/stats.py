"""``comptoir stats [--by ...]`` and ``comptoir stats rebuild``: sales figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import add_period, parse_period, write_table
from comptoir.lib.money import format_amount, money_text, round_half_up
from comptoir.lib.quantity import format_quantity
from comptoir.sales.selectors import payment_method_names
from comptoir.stats.selectors import daily_revenue_list, payment_totals_list, sales_totals_list
from comptoir.stats.services import stats_rebuild
from comptoir.stock.services import stock_rebuild

GROUPS = ("day", "article", "till", "cashier", "payment")
REBUILT_NAMES = {
    "salesstat": "sales_stat",
    "dailyrevenue": "daily_revenue",
    "dailytax": "daily_tax",
    "dailypayment": "daily_payment",
}


def _money(minor: int | None) -> str:
    return format_amount(minor or 0, settings.COMPTOIR_CURRENCY)


def day_row(row: dict[str, Any]) -> dict[str, Any]:
    count = row["invoice_count"]
    margin = (row["total_excl_tax"] - row["total_cost"]) - (
        row["returns_excl_tax"] - row["returns_cost"]
    )
    return {
        "day": row["day"].isoformat(),
        "invoice_count": count,
        "revenue_excl_tax": _money(row["total_excl_tax"]),
        "revenue_incl_tax": _money(row["total_incl_tax"]),
        "average_basket": _money(
            round_half_up(Decimal(row["total_incl_tax"]) / count) if count else 0
        ),
        "credit_note_count": row["credit_note_count"],
        "returns_excl_tax": _money(row["returns_excl_tax"]),
        "returns_incl_tax": _money(row["returns_incl_tax"]),
        "net_excl_tax": _money(row["total_excl_tax"] - row["returns_excl_tax"]),
        "net_incl_tax": _money(row["total_incl_tax"] - row["returns_incl_tax"]),
        "margin": _money(margin),
    }


def sales_row(group: str, row: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "article": {"article": row.get("article__code"), "name": row.get("article__name")},
        "till": {"till": row.get("till__prefix"), "name": row.get("till__name")},
        "cashier": {"cashier": row.get("cashier")},
    }[group]
    return {
        **keys,
        "quantity": format_quantity(row["quantity"] or Decimal(0)),
        "revenue_excl_tax": _money(row["revenue_excl_tax"]),
        "revenue_incl_tax": _money(row["revenue_incl_tax"]),
        "margin": _money((row["revenue_excl_tax"] or 0) - (row["cost"] or 0)),
    }


def payment_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": row["method"],
        "amount": _money(row["amount"]),
        "refunds": _money(row["refunds"]),
        "net": _money((row["amount"] or 0) - (row["refunds"] or 0)),
    }


class Command(ComptoirCommand):
    help = _(
        "Chiffre d'affaires et statistiques de vente sur une période (tables dérivées), "
        "ou « stats rebuild » pour les recalculer à partir des factures et des avoirs."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            choices=["rebuild"],
            help=_("rebuild : recalcule statistiques et niveaux de stock"),
        )
        add_period(parser)
        parser.add_argument(
            "--by",
            choices=GROUPS,
            default="day",
            help=_("regroupement : jour (défaut), article, caisse, caissier ou moyen de paiement"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            counts = {REBUILT_NAMES.get(k, k): v for k, v in stats_rebuild().items()}
            counts["stock_level"] = stock_rebuild()
            if options["json"]:
                self.emit_json(counts)
            else:
                self.stdout.write(
                    _(
                        "Recalcul terminé. Lignes recalculées : statistiques d'articles "
                        "%(sales_stat)d, chiffre d'affaires par jour %(daily_revenue)d, TVA "
                        "%(daily_tax)d, paiements %(daily_payment)d, niveaux de stock "
                        "%(stock_level)d."
                    )
                    % counts
                )
            return
        start, end = parse_period(options)
        group = options["by"]
        if group == "day":
            rows = [day_row(r) for r in daily_revenue_list(date_from=start, date_to=end)]
        elif group == "payment":
            rows = [payment_row(r) for r in payment_totals_list(date_from=start, date_to=end)]
        else:
            rows = [
                sales_row(group, r)
                for r in sales_totals_list(group=group, date_from=start, date_to=end)
            ]
        if options["json"]:
            self.emit_json(rows)
        else:
            self._write(group, rows)

    def _write(self, group: str, rows: list[dict[str, Any]]) -> None:
        def money(value: str | None) -> str:
            return "" if value is None else money_text(value, settings.COMPTOIR_CURRENCY)

        if group == "day":
            headers = [
                _("Jour"),
                _("Factures"),
                _("CA HT"),
                _("CA TTC"),
                _("Panier moyen"),
                _("Avoirs"),
                _("Retours TTC"),
                _("Marge"),
            ]
            cells = [
                [
                    r["day"],
                    r["invoice_count"],
                    money(r["revenue_excl_tax"]),
                    money(r["revenue_incl_tax"]),
                    money(r["average_basket"]),
                    r["credit_note_count"],
                    money(r["returns_incl_tax"]),
                    money(r["margin"]),
                ]
                for r in rows
            ]
        elif group == "payment":
            names = payment_method_names()
            headers = [_("Moyen"), _("Encaissé"), _("Remboursé"), _("Net")]
            cells = [
                [
                    names.get(r["method"], r["method"]),
                    money(r["amount"]),
                    money(r["refunds"]),
                    money(r["net"]),
                ]
                for r in rows
            ]
        else:
            first = {"article": _("Article"), "till": _("Caisse"), "cashier": _("Caissier")}[group]
            headers = [first, _("Qté"), _("CA HT"), _("CA TTC"), _("Marge")]
            cells = [
                [
                    " ".join(filter(None, (r.get(group), r.get("name")))) or "-",
                    r["quantity"],
                    money(r["revenue_excl_tax"]),
                    money(r["revenue_incl_tax"]),
                    money(r["margin"]),
                ]
                for r in rows
            ]
        write_table(self.stdout, headers, cells)
