"""Test data made through the services (never raw ORM writes), and state snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import models

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_create
from comptoir.events.journal_setup import EVENTS
from comptoir.journal.kinds import head_kind
from comptoir.stats.models import DailyPayment, DailyRevenue, DailyTax, SalesStat
from comptoir.stock.models import StockLevel
from comptoir.stores.models import SeriesCounter

PARIS = ZoneInfo("Europe/Paris")
COMPTOIR_APPS = ("core", "catalogue", "customers", "sales", "stock", "stats", "cash")


def at(day: int, hour: int = 10, minute: int = 0, *, month: int = 3, year: int = 2026) -> datetime:
    """An instant in the shop's time zone (Europe/Paris), in the past of the test run."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def make_article(
    code: str,
    price: str = "2.50",
    *,
    vat: str = "20",
    cost: str = "1.00",
    unit: str = "piece",
    barcodes: Sequence[str] = (),
    category: str | None = None,
    supplier: str | None = None,
) -> Article:
    return article_create(
        code=code,
        name=f"Article {code}",
        sale_price=price,
        vat_rate=vat,
        cost=cost,
        unit=unit,
        barcodes=barcodes,
        category=category,
        supplier=supplier,
    )


def row_counts() -> dict[str, int]:
    """Rows of every comptoir table, to prove that a refused operation wrote nothing."""
    return {
        model._meta.label: model._default_manager.count()
        for label in COMPTOIR_APPS
        for model in apps.get_app_config(label).get_models()
    }


def db_state() -> dict[str, Any]:
    """Row counts plus the values a failed operation could have changed in place. The
    technical event log is left out (not in ``COMPTOIR_APPS``), with the head of its
    chain: a refused push raises an integrity alert, which the hub's log records."""
    return {
        "counts": row_counts(),
        "series": sorted(
            SeriesCounter.objects.exclude(kind=head_kind(EVENTS)).values_list(
                "till_id", "kind", "year", "last_number", "last_hash"
            )
        ),
        "levels": sorted(
            (str(a), str(s), q)
            for a, s, q in StockLevel.objects.values_list("article_id", "store_id", "quantity")
        ),
        "stats": stats_snapshot(),
    }


def _rows(model: type[models.Model]) -> list[tuple[Any, ...]]:
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    return sorted(
        tuple(str(v) if not isinstance(v, int | Decimal) else v for v in row)
        for row in model._default_manager.values_list(*fields)
    )


def stats_snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the derived statistics, without the auto ids."""
    return {
        model.__name__: _rows(model) for model in (SalesStat, DailyRevenue, DailyTax, DailyPayment)
    }


def stock_snapshot() -> list[tuple[Any, ...]]:
    """Every stock level row, without the auto id."""
    return _rows(StockLevel)


M = TypeVar("M", bound=models.Model)


def twin_from_another_till(obj: M, *, older: bool = False, **edits: Any) -> M:
    """``obj`` as another till created it while offline (its code typed alike), received
    through the sync engine: a new UUIDv7, newer than ``obj``'s or, with ``older``, a
    millisecond before it. ``edits`` (attname -> value) tell the twin apart."""
    import uuid

    from comptoir.lib.ids import new_id
    from comptoir.syncengine import apply
    from tests.sync.helpers import reference_change

    pk = uuid.UUID(int=obj.pk.int - (1 << 80)) if older else new_id()
    change = reference_change(obj, **edits)
    change.row = str(pk)
    change.data.fields["id"] = str(pk)
    outcome = apply.apply_change(change, origin="node-b")
    assert outcome.status == "applied", outcome
    return type(obj)._default_manager.get(pk=pk)
