"""``comptoir stock receive|loss|count|show|rebuild``: the stock ledger and its levels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.catalogue.selectors import article_get
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import (
    add_action,
    add_actions,
    local_iso,
    local_text,
    write_table,
)
from comptoir.lib.quantity import format_quantity
from comptoir.stock.models import MovementKind, StockLevel
from comptoir.stock.selectors import COUNT_KIND, stock_history, stock_level, stock_levels
from comptoir.stock.services import stock_count, stock_loss, stock_rebuild, stock_receive
from comptoir.stores.selectors import store_get


def _kind_label(kind: str) -> str:
    if kind == COUNT_KIND:
        return _("inventaire")
    return str(MovementKind(kind).label) if kind in MovementKind.values else kind


class Command(ComptoirCommand):
    help = _("Réceptions, pertes, inventaires et niveaux de stock.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        for name, text in (
            ("receive", _("Entre en stock une livraison de fournisseur.")),
            ("loss", _("Sort du stock une perte, une casse ou un vol.")),
            ("count", _("Enregistre la quantité comptée à l'inventaire.")),
        ):
            sub = add_action(actions, name, text)
            sub.add_argument("code", metavar="CODE", help=_("code ou code-barres de l'article"))
            sub.add_argument("quantity", metavar="QTE", help=_("quantité (virgule ou point)"))
            sub.add_argument("--store", help=_("magasin (celui de ce poste par défaut)"))
            sub.add_argument("--note", default="", help=_("note libre"))
            if name == "receive":
                sub.add_argument("--supplier", help=_("code du fournisseur"))
        show = add_action(
            actions, "show", _("Niveaux par magasin ; avec CODE, l'historique de l'article.")
        )
        show.add_argument("code", metavar="CODE", nargs="?", help=_("code de l'article"))
        show.add_argument("--store", help=_("un seul magasin"))
        add_action(actions, "rebuild", _("Recalcule tous les niveaux à partir des faits."))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rebuild":
            count = stock_rebuild()
            if options.get("json"):
                self.emit_json({"stock_levels": count})
            else:
                self.stdout.write(_("%(n)d niveaux de stock recalculés.") % {"n": count})
        elif action == "show":
            self._show(options)
        else:
            self._record(action, options)

    def _record(self, action: str, options: dict[str, Any]) -> None:
        common = {
            "article": options["code"],
            "quantity": options["quantity"],
            "store": options["store"],
            "note": options["note"],
        }
        if action == "receive":
            fact: Any = stock_receive(supplier=options["supplier"], **common)
        elif action == "loss":
            fact = stock_loss(**common)
        else:
            fact = stock_count(**common)
        level = stock_level(article_id=fact.article_id, store_id=fact.store_id)
        data = {
            "article": fact.article.code,
            "store": fact.store.name,
            "kind": COUNT_KIND if action == "count" else fact.kind,
            "quantity": format_quantity(fact.quantity),
            "level": format_quantity(level),
        }
        if options.get("json"):
            self.emit_json(data)
            return
        self.stdout.write(
            _("%(kind)s de %(quantity)s × %(article)s (%(store)s) : stock %(level)s.")
            % {**data, "kind": _kind_label(data["kind"]).capitalize()}
        )

    def _show(self, options: dict[str, Any]) -> None:
        store = store_get(name=options["store"]) if options["store"] else None
        if not options["code"]:
            levels = stock_levels(store_id=store.pk if store else None)
            rows = [_level_row(level) for level in levels]
            if options.get("json"):
                self.emit_json(rows)
                return
            write_table(
                self.stdout,
                [_("Article"), _("Désignation"), _("Magasin"), _("Stock"), _("Alerte")],
                [
                    [
                        r["article"],
                        r["name"],
                        r["store"],
                        r["quantity"],
                        _("sous le seuil") if r["below_alert"] else "",
                    ]
                    for r in rows
                ],
            )
            return
        article = article_get(code=options["code"])
        levels = StockLevel.objects.filter(article=article).select_related("store", "article")
        if store is not None:
            levels = levels.filter(store=store)
        levels = levels.order_by("store__name")
        history = [
            (level.store.name, entry)
            for level in levels
            for entry in stock_history(article_id=article.pk, store_id=level.store_id)
        ]
        if options.get("json"):
            self.emit_json(
                {
                    "article": article.code,
                    "name": article.name,
                    "levels": [_level_row(level) for level in levels],
                    "history": [
                        {
                            "store": store_name,
                            "at": local_iso(entry.at),
                            "kind": entry.kind,
                            "quantity": format_quantity(entry.quantity),
                            "level": format_quantity(entry.level),
                            "reference": entry.reference,
                            "note": entry.note,
                        }
                        for store_name, entry in history
                    ],
                }
            )
            return
        self.stdout.write(f"{article.code} {article.name}")
        for level in levels:
            self.stdout.write(
                _("Stock %(store)s : %(quantity)s")
                % {"store": level.store.name, "quantity": format_quantity(level.quantity)}
            )
        write_table(
            self.stdout,
            [_("Magasin"), _("Date"), _("Opération"), _("Qté"), _("Stock"), _("Référence")],
            [
                [
                    store_name,
                    local_text(entry.at),
                    _kind_label(entry.kind),
                    format_quantity(entry.quantity),
                    format_quantity(entry.level),
                    entry.reference or entry.note,
                ]
                for store_name, entry in history
            ],
        )


def _level_row(level: StockLevel) -> dict[str, Any]:
    threshold: Decimal = level.article.alert_threshold
    return {
        "article": level.article.code,
        "name": level.article.name,
        "store": level.store.name,
        "quantity": format_quantity(level.quantity),
        "alert_threshold": format_quantity(threshold),
        "below_alert": bool(threshold) and level.quantity <= threshold,
    }
