"""``comptoir article add|set|list``: the articles of the catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_create, article_update
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.helpers import (
    add_action,
    add_actions,
    add_archive_flags,
    add_limit,
    write_table,
)
from comptoir.lib.money import format_amount, money_text
from comptoir.lib.quantity import UNITS, format_quantity
from comptoir.stock.selectors import article_list, article_stock_total


def article_data(article: Article, stock: Decimal | None = None) -> dict[str, Any]:
    currency = settings.COMPTOIR_CURRENCY
    if stock is None:  # from article_list's annotation; no level yet means zero
        stock = getattr(article, "stock_total", None) or Decimal(0)
    return {
        "id": str(article.pk),
        "code": article.code,
        "name": article.name,
        "price": format_amount(article.sale_price, currency),
        "vat_rate": str(article.vat_rate),
        "cost": format_amount(article.cost, currency),
        "unit": article.unit,
        "alert_threshold": format_quantity(article.alert_threshold),
        "category": article.category.name if article.category else None,
        "supplier": article.supplier.code if article.supplier else None,
        "barcodes": sorted(b.code for b in article.barcodes.all() if not b.archived),
        "stock_quantity": format_quantity(stock),
        "archived": article.archived,
    }


def _article_fields(parser: CommandParser, *, create: bool) -> None:
    parser.add_argument("--name", required=create, help=_("désignation"))
    parser.add_argument("--price", required=create, help=_("prix de vente TTC, ex. 2.50"))
    parser.add_argument("--vat", help=_("taux de TVA en %% (20 par défaut)"))
    parser.add_argument(
        "--barcode",
        action="append",
        default=[],
        help=_("code-barres (option répétable ; « set » ajoute aux codes existants)"),
    )
    parser.add_argument("--cost", help=_("prix de revient HT"))
    parser.add_argument("--category", help=_("catégorie (créée si besoin)"))
    parser.add_argument("--supplier", help=_("code du fournisseur"))
    parser.add_argument("--unit", choices=UNITS, help=_("unité de vente"))
    parser.add_argument("--alert", help=_("seuil d'alerte de stock"))


class Command(ComptoirCommand):
    help = _("Crée, modifie et liste les articles.")
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        actions = add_actions(parser)
        add = add_action(actions, "add", _("Crée un article."))
        add.add_argument("--code", required=True, help=_("code de l'article"))
        _article_fields(add, create=True)
        change = add_action(actions, "set", _("Modifie les champs donnés d'un article."))
        change.add_argument("code", metavar="CODE", help=_("code de l'article"))
        _article_fields(change, create=False)
        add_archive_flags(change)
        listing = add_action(actions, "list", _("Liste les articles avec leur stock."))
        listing.add_argument("--search", help=_("partie du code ou du nom, ou code-barres"))
        listing.add_argument(
            "--archived", action="store_true", help=_("inclure les articles archivés")
        )
        add_limit(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            rows = [
                article_data(a)
                for a in article_list(
                    search=options["search"],
                    include_archived=options["archived"],
                    limit=options["limit"],
                )
            ]
            if options.get("json"):
                self.emit_json(rows)
            else:
                self._write_table(rows)
            return
        if action == "add":
            article = article_create(
                code=options["code"],
                name=options["name"],
                sale_price=options["price"],
                vat_rate=options["vat"] if options["vat"] is not None else "20",
                cost=options["cost"] if options["cost"] is not None else "0",
                barcodes=options["barcode"],
                category=options["category"],
                supplier=options["supplier"],
                unit=options["unit"] or "piece",
                alert_threshold=options["alert"] if options["alert"] is not None else "0",
            )
            message = _("Article %(code)s créé.")
        else:
            article = article_update(
                code=options["code"],
                name=options["name"],
                sale_price=options["price"],
                vat_rate=options["vat"],
                cost=options["cost"],
                add_barcodes=options["barcode"],
                category=options["category"],
                supplier=options["supplier"],
                unit=options["unit"],
                alert_threshold=options["alert"],
                archived=options["archived"],
            )
            message = _("Article %(code)s modifié.")
        data = article_data(article, stock=article_stock_total(article_id=article.pk))
        if options.get("json"):
            self.emit_json(data)
            return
        self.stdout.write(message % {"code": article.code})
        self._write_table([data])

    def _write_table(self, rows: list[dict[str, Any]]) -> None:
        write_table(
            self.stdout,
            [
                _("Code"),
                _("Désignation"),
                _("Prix TTC"),
                _("TVA %"),
                _("Stock"),
                _("Catégorie"),
                _("Fournisseur"),
                _("Codes-barres"),
            ],
            [
                [
                    r["code"] + (" " + _("(archivé)") if r["archived"] else ""),
                    r["name"],
                    money_text(r["price"], settings.COMPTOIR_CURRENCY),
                    r["vat_rate"],
                    r["stock_quantity"],
                    r["category"] or "",
                    r["supplier"] or "",
                    " ".join(r["barcodes"]),
                ]
                for r in rows
            ],
        )
