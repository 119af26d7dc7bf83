from __future__ import annotations

import pytest
from django.utils import timezone

from comptoir.catalogue.services import article_create, supplier_create
from comptoir.stats.models import DailyRevenue
from comptoir.stock.models import StockLevel, StockMovement


@pytest.fixture
def shelf(till):
    supplier_create(code="F1", name="Fournil")
    article_create(code="A", name="Pomme", sale_price="2.50", cost="1.00", alert_threshold="5")
    article_create(code="V", name="Vrac", sale_price="10.00", vat_rate="5.5", unit="kg")


def test_stock_receive_loss_and_count_report_the_new_level(shelf, cli_json):
    data = cli_json("stock", "receive", "A", "12", "--supplier", "F1", "--note", "BL 42")
    assert data == {
        "article": "A",
        "store": "Magasin principal",
        "kind": "receipt",
        "quantity": "12",
        "level": "12",
    }
    assert cli_json("stock", "loss", "A", "2")["level"] == "10"
    assert cli_json("stock", "count", "A", "7")["level"] == "7"
    assert cli_json("stock", "receive", "V", "1,250")["level"] == "1.250"


def test_stock_show_lists_levels_and_the_history_with_a_running_level(shelf, cli, cli_json):
    cli("stock", "receive", "A", "10", "--supplier", "F1")
    number = cli_json("sell", "A:3")["number"]
    cli("stock", "count", "A", "5")
    cli("stock", "loss", "A", "1")
    levels = cli_json("stock", "show")
    assert [(r["article"], r["quantity"], r["below_alert"]) for r in levels] == [("A", "4", True)]
    shown = cli_json("stock", "show", "A")
    assert [lv["quantity"] for lv in shown["levels"]] == ["4"]
    assert [(h["kind"], h["quantity"], h["level"], h["reference"]) for h in shown["history"]] == [
        ("receipt", "10", "10", "F1"),
        ("sale", "-3", "7", number),
        ("count", "5", "5", ""),
        ("loss", "-1", "4", ""),
    ]
    text = cli("stock", "show", "A")
    assert "inventaire" in text
    assert "Stock Magasin principal : 4" in text


def test_stock_rebuild_recomputes_the_levels(shelf, cli, cli_json):
    cli("stock", "receive", "A", "10")
    StockLevel.objects.all().delete()
    assert cli_json("stock", "rebuild") == {"stock_levels": 1}
    assert StockLevel.objects.get().quantity == 10


def test_stock_refuses_bad_quantities(shelf, cli_fail):
    assert "elle doit être positive" in cli_fail("stock", "receive", "A", "-3")
    assert "à la pièce" in cli_fail("stock", "loss", "A", "0,5")
    assert "Article inconnu" in cli_fail("stock", "count", "NOPE", "1")
    assert not StockMovement.objects.exists()


def test_stats_by_day_and_by_payment(shelf, cli, cli_json):
    cli("stock", "receive", "A", "10")
    first = cli_json("sell", "A:2", "--pay", "cash:10")["number"]  # 5.00, change 5.00
    cli("sell", "A:1", "V:0,5", "--pay", "card")  # 2.50 (2.08 HT) + 5.00 (4.74 HT)
    cli("credit_note", first, "A:1", "--refund", "cash")  # -2.50
    today = timezone.localdate().isoformat()
    days = cli_json("stats", "--from", today, "--to", today)
    assert days == [
        {
            "day": today,
            "invoice_count": 2,
            "revenue_excl_tax": "10.99",
            "revenue_incl_tax": "12.50",
            "average_basket": "6.25",
            "credit_note_count": 1,
            "returns_excl_tax": "2.08",
            "returns_incl_tax": "2.50",
            "net_excl_tax": "8.91",
            "net_incl_tax": "10.00",
            "margin": "6.91",  # 8.91 net excl. VAT minus the cost of the 2 apples kept
        }
    ]
    payments = cli_json("stats", "--by", "payment")
    assert payments == [
        {"method": "card", "amount": "7.50", "refunds": "0.00", "net": "7.50"},
        {"method": "cash", "amount": "5.00", "refunds": "2.50", "net": "2.50"},
    ]
    articles = cli_json("stats", "--by", "article")
    assert [(r["article"], r["quantity"]) for r in articles] == [("A", "2"), ("V", "0.500")]
    assert cli_json("stats", "--to", "2000-01-01") == []
    assert "Panier moyen" in cli("stats")


def test_stats_refuses_a_bad_period(shelf, cli_fail):
    assert "Date invalide pour --to" in cli_fail("stats", "--to", "demain")
    assert "La période est vide" in cli_fail("stats", "--from", "2026-02-01", "--to", "2026-01-01")


def test_stats_rebuild_recomputes_statistics_and_stock(shelf, cli, cli_json):
    cli("stock", "receive", "A", "10")
    cli("sell", "A:2")
    DailyRevenue.objects.all().delete()
    StockLevel.objects.all().delete()
    counts = cli_json("stats", "rebuild")
    assert counts == {
        "sales_stat": 1,
        "daily_revenue": 1,
        "daily_tax": 1,
        "daily_payment": 1,
        "stock_level": 1,
    }
    assert DailyRevenue.objects.get().total_incl_tax == 500
    assert StockLevel.objects.get().quantity == 8
    assert "Recalcul terminé" in cli("stats", "rebuild")
