"""Realistic, deterministic sample data for demonstrations and manual testing.

:func:`populate` fills the current database through the services only (never raw ORM
writes): a French épicerie-bazar's suppliers, catalogue and customers, then, unless
``catalogue_only``, its stock receipts, a rotating inventory and ``days`` days of sales
and a few returns at this installation's till. The same seed gives the same reference
data (codes, barcodes, prices), so a hub and a till populated apart hold one catalogue.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from django.utils import timezone

from comptoir.catalogue.services import article_create, supplier_create
from comptoir.customers.services import customer_create
from comptoir.lib.money import format_amount
from comptoir.ops.sampledata.activity import CURRENCY, Activity, run
from comptoir.ops.sampledata.catalogue import Catalogue, build_catalogue

__all__ = ["build_catalogue", "populate"]

Progress = Callable[[str, int, int], None]


def _reference_data(catalogue: Catalogue, report: Progress) -> dict[str, int]:
    for done, supplier in enumerate(catalogue.suppliers, start=1):
        supplier_create(
            code=supplier.code,
            name=supplier.name,
            phone=supplier.phone,
            email=supplier.email,
            address=supplier.address,
            siren=supplier.siren,
            vat_number=supplier.vat_number,
        )
        report("Fournisseurs", done, len(catalogue.suppliers))
    for done, article in enumerate(catalogue.articles, start=1):
        article_create(
            code=article.code,
            name=article.name,
            sale_price=format_amount(article.price, CURRENCY),
            vat_rate=article.vat_rate,
            cost=format_amount(article.cost, CURRENCY),
            barcodes=[article.barcode],
            category=article.category,
            supplier=article.supplier,
            unit=article.unit,
            alert_threshold=article.alert_threshold,
        )
        report("Articles", done, len(catalogue.articles))
    for done, customer in enumerate(catalogue.customers, start=1):
        customer_create(
            code=customer.code,
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            address=customer.address,
            siren=customer.siren,
            vat_number=customer.vat_number,
        )
        report("Clients", done, len(catalogue.customers))
    return {
        "categories": len(catalogue.categories),
        "suppliers": len(catalogue.suppliers),
        "articles": len(catalogue.articles),
        "barcodes": len(catalogue.articles),
        "customers": len(catalogue.customers),
    }


def populate(
    *,
    days: int = 21,
    articles: int = 300,
    customers: int = 80,
    sales_per_day: int = 40,
    seed: int = 42,
    catalogue_only: bool = False,
    reference: bool = True,
    stock: bool = True,
    sales: bool = True,
    activity_seed: str | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty database; returns how many rows of each kind were created.

    Needs this installation's till (``hub init`` / ``node init``), a currency with cents
    (the sample prices are euros), and no conflicting codes. Each fact is its own durable
    transaction, so do not call this inside ``transaction.atomic``.
    """

    def report(step: str, done: int, total: int) -> None:
        if progress is not None:
            progress(step, done, total)

    catalogue = build_catalogue(articles=articles, customers=customers, seed=seed)
    # A till of an enrolled demo receives the catalogue from its hub: reference=False.
    counts = _reference_data(catalogue, report) if reference else {}
    if catalogue_only or days <= 0 or not (stock or sales):
        return counts
    rng = random.Random(activity_seed or f"{seed}:activity")
    activity = Activity(catalogue=catalogue, rng=rng, progress=report)
    today = timezone.localdate()
    steps = run(
        activity, days=days, sales_per_day=sales_per_day, today=today, stock=stock, sales=sales
    )
    for done, total in steps:
        report("Ventes", done, total)
    return counts | activity.counts
