from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import models
from stdnum import ean
from stdnum.eu import vat
from stdnum.fr import siren

from comptoir.catalogue.models import Article, Barcode, Category, Supplier
from comptoir.catalogue.selectors import article_get
from comptoir.customers.models import Customer
from comptoir.ops.sampledata import build_catalogue, populate
from comptoir.sales.models import CreditNote, Invoice, InvoiceLine
from comptoir.stats.models import DailyPayment, DailyRevenue, DailyTax, SalesStat
from comptoir.stats.services import stats_rebuild
from comptoir.stock.models import InventoryCount, StockLevel, StockMovement
from comptoir.stock.services import stock_rebuild


def snapshot(model: type[models.Model]) -> list[tuple[Any, ...]]:
    fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
    return sorted(model._default_manager.values_list(*fields), key=lambda row: str(row))


def test_the_same_seed_gives_the_same_catalogue() -> None:
    first = build_catalogue(articles=300, customers=80, seed=7)
    assert build_catalogue(articles=300, customers=80, seed=7) == first
    assert build_catalogue(articles=300, customers=80, seed=8) != first


def test_a_larger_catalogue_extends_a_smaller_one_with_the_same_articles() -> None:
    small = build_catalogue(articles=30, customers=5, seed=42)
    large = build_catalogue(articles=300, customers=80, seed=42)
    assert large.articles[:30] == small.articles
    assert large.suppliers == small.suppliers


def test_sample_identifiers_are_valid_and_prices_plausible() -> None:
    catalogue = build_catalogue(articles=300, customers=80, seed=42)
    articles = catalogue.articles
    assert len({a.code for a in articles}) == 300
    assert len({a.barcode for a in articles}) == 300
    assert all(len(a.barcode) == 13 and ean.is_valid(a.barcode) for a in articles)
    assert {a.vat_rate for a in articles} == {Decimal("5.5"), Decimal("10"), Decimal("20")}
    assert any(a.unit == "kg" for a in articles)
    assert all(0 < a.cost < a.price * 100 / (100 + a.vat_rate) for a in articles)
    assert len(catalogue.categories) == 12
    assert len(catalogue.suppliers) == 15
    for party in (*catalogue.suppliers, *catalogue.customers):
        if party.siren:
            assert siren.is_valid(party.siren)
        if party.vat_number:
            assert vat.is_valid(party.vat_number)
    businesses = [c for c in catalogue.customers if c.siren]
    assert len(businesses) >= 10


def test_a_small_catalogue_still_covers_every_category() -> None:
    assert len(build_catalogue(articles=24, customers=0, seed=1).categories) == 12


def test_populate_writes_consistent_data(till: Any) -> None:
    counts = populate(days=2, articles=30, customers=12, sales_per_day=25)

    assert counts["articles"] == Article.objects.count() == 30
    assert counts["barcodes"] == Barcode.objects.count()
    assert counts["categories"] == Category.objects.count() == 12
    assert counts["suppliers"] == Supplier.objects.count()
    assert counts["customers"] == Customer.objects.count() == 12
    assert counts["invoices"] == Invoice.objects.count() > 20
    assert counts["invoice_lines"] == InvoiceLine.objects.count()
    assert counts["credit_notes"] == CreditNote.objects.count()
    assert counts["inventory_counts"] == InventoryCount.objects.count() > 0
    assert StockMovement.objects.filter(kind="receipt").count() == counts["receipts"]
    assert set(
        StockMovement.objects.filter(kind="receipt").values_list("article", flat=True)
    ) == set(Article.objects.values_list("pk", flat=True))

    for model, time_field in ((Invoice, "validated_at"), (CreditNote, "issued_at")):
        for year in model.objects.values_list("year", flat=True).distinct():
            rows = list(model.objects.filter(year=year).order_by(time_field))
            assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))
    assert Invoice.objects.filter(customer__isnull=False).exists()
    assert Invoice.objects.filter(change_given__gt=0).exists()

    levels = snapshot(StockLevel)
    stock_rebuild()
    assert snapshot(StockLevel) == levels

    stats = [snapshot(m) for m in (SalesStat, DailyRevenue, DailyTax, DailyPayment)]
    stats_rebuild()
    assert [snapshot(m) for m in (SalesStat, DailyRevenue, DailyTax, DailyPayment)] == stats


def test_catalogue_only_creates_reference_data_and_no_facts(till: Any) -> None:
    counts = populate(articles=20, customers=5, catalogue_only=True)
    assert counts == {
        "categories": 12,
        "suppliers": 15,
        "articles": 20,
        "barcodes": 20,
        "customers": 5,
    }
    assert not Invoice.objects.exists()
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("code", ["FL001", "TR001"])
def test_articles_are_found_by_their_sample_barcode(till: Any, code: str) -> None:
    populate(articles=12, customers=0, catalogue_only=True)
    spec = {a.code: a for a in build_catalogue(articles=12, customers=0, seed=42).articles}[code]
    assert article_get(code=spec.barcode).code == code
