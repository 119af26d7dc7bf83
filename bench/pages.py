"""Back-office page timings on a large database (server time, Django test client).

Run inside a configured Django process on a home's database (``comptoir shell``), e.g.
``comptoir shell --home H -c "from bench.pages import run; print(run(articles=50_000,
invoices=200_000))"``. :func:`fill` bulk-inserts the data first (plain ``QuerySet``
inserts, bypassing change capture: this measures reads, not sync); :func:`measure` then
requests each page ``repeat`` times after one warm-up request and returns
``(page, p50 ms, max ms)`` rows. Nothing asserts a timing (the budget is 300 ms).

The invoice list pages by keyset (``?after=<number>``): "page 2000" is the page after
the invoice 100,000 rows below the newest, as a shared link or 2,000 "next" clicks
would reach it; "customer, next" follows the customer filter's "next" link.

A chain's pages (:data:`CHAIN_PAGES`: sync page, dashboard, store list, the article
list's stock columns, and the pages with a till or store menu) grow with the number of
stores and tills, not of documents: :func:`fill_chain` adds ``stores`` stores and
``tills`` enrolled tills spread over them (credentials with cursors, contact times,
revoked, late and never-seen ones, unsent sales) and change-log entries for them to lag
behind on (``run(stores=2000, tills=10_000)``, the issue's 10,000-till model).
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

from django.db import models, transaction
from django.test import Client
from django.utils import timezone

BATCH = 5000
DEEP = 100_000  # rows below the newest invoice: page 2,000 at 50 a page
PAGES: tuple[tuple[str, str], ...] = (
    ("articles", "/gestion/articles/"),
    ("articles, search", "/gestion/articles/?q=4242"),
    ("articles, low stock", "/gestion/articles/?low=1"),
    ("articles, page 500", "/gestion/articles/?page=500"),
    ("stock", "/gestion/stock/"),
    ("customers, search", "/gestion/clients/?q=client+12"),
    ("invoices", "/gestion/factures/"),
    ("invoices, one day", "/gestion/factures/?date_from={day}&date_to={day}"),
    ("invoices, customer", "/gestion/factures/?customer=client+12"),
    ("invoices, number", "/gestion/factures/?number={number}"),
    ("invoices, page 2000", "/gestion/factures/?after={deep}"),
    ("invoices, customer, next", "/gestion/factures/?customer=client+12&after={customer_next}"),
    ("invoice detail", "/gestion/factures/{number}/"),
    ("credit notes", "/gestion/avoirs/"),
)
CHAIN_PAGES: tuple[tuple[str, str], ...] = (
    ("sync page", "/synchro/"),
    ("sync page, late tills", "/synchro/?etat=late"),
    ("sync page, one store", "/synchro/?magasin={store_name}"),
    ("dashboard", "/tableau-de-bord/"),
    ("dashboard, one store", "/tableau-de-bord/?store={store}"),
    ("stores", "/gestion/magasin/"),
    ("stores, search", "/gestion/magasin/?q={store_name}"),
    ("articles", "/gestion/articles/"),
    ("stock", "/gestion/stock/"),
    ("cash sessions", "/tableau-de-bord/sessions/"),
    ("closings", "/gestion/clotures/"),
    ("fiscal archives", "/tableau-de-bord/archives/"),
    ("fiscal journal", "/tableau-de-bord/journal/"),
)
CHANGES_PER_STORE = 10  # change-log entries each store's tills may lag behind on


def _insert(model: type[models.Model], objs: list[Any]) -> None:
    models.QuerySet(model=model).bulk_create(objs, batch_size=BATCH)


def fill(*, articles: int, invoices: int, customers: int = 2000) -> dict[str, Any]:
    """Add ``articles`` articles (a stock level each), customers and ``invoices`` invoices
    (one line, one payment) on a bench till ``BX``. Returns what the pages need."""
    from comptoir.catalogue.models import Article, Category
    from comptoir.customers.models import Customer
    from comptoir.sales.models import Invoice, InvoiceLine, Payment
    from comptoir.stock.models import StockLevel
    from comptoir.stores.models import Store, Till

    started = time.perf_counter()
    with transaction.atomic():
        store = Store.objects.order_by("name").first() or Store.objects.create(name="Bench")
        till = Till.objects.filter(prefix="BX").first() or Till.objects.create(
            store=store, name="Caisse banc", prefix="BX"
        )
        categories = [Category(name=f"Rayon banc {i}") for i in range(20)]
        _insert(Category, categories)
        items = [
            Article(
                code=f"BX{i:06d}",
                name=f"Article de banc {i}",
                sale_price=100 + i * 37 % 4000,
                vat_rate=Decimal("20"),
                cost=50,
                category=categories[i % 20],
                alert_threshold=Decimal(5),
            )
            for i in range(articles)
        ]
        _insert(Article, items)
        _insert(
            StockLevel,
            [
                StockLevel(article=a, store=store, quantity=Decimal(i % 50))
                for i, a in enumerate(items)
            ],
        )
        people = [Customer(code=f"BXC{i:05d}", name=f"Client {i}") for i in range(customers)]
        _insert(Customer, people)
        now = timezone.now()
        year = now.year
        for start in range(0, invoices, BATCH):
            docs, lines, payments = [], [], []
            for n in range(start, min(start + BATCH, invoices)):
                when = now - timedelta(minutes=5 * (invoices - n))
                customer = people[n % customers] if n % 3 == 0 else None
                article = items[n % articles]
                doc = Invoice(
                    number=f"BX-{year}-{n + 1:06d}" if n < 999_999 else f"BX-{year}-{n + 1}",
                    till=till,
                    store=store,
                    year=year,
                    sequence=n + 1,
                    validated_at=when,
                    business_date=timezone.localdate(when),
                    customer=customer,
                    customer_name=customer.name if customer else "",
                    cashier="bench",
                    currency=store.currency,
                    total_excl_tax=article.sale_price * 5 // 6,
                    total_tax=article.sale_price - article.sale_price * 5 // 6,
                    total_incl_tax=article.sale_price,
                    total_paid=article.sale_price,
                    chain_hash="0" * 64,
                )
                docs.append(doc)
                lines.append(
                    InvoiceLine(
                        invoice=doc,
                        position=1,
                        article=article,
                        article_code=article.code,
                        label=article.name,
                        quantity=Decimal(1),
                        unit_price=article.sale_price,
                        vat_rate=article.vat_rate,
                        total_excl_tax=doc.total_excl_tax,
                        total_tax=doc.total_tax,
                        total_incl_tax=doc.total_incl_tax,
                    )
                )
                payments.append(
                    Payment(invoice=doc, position=1, method="card", amount=doc.total_incl_tax)
                )
            _insert(Invoice, docs)
            _insert(InvoiceLine, lines)
            _insert(Payment, payments)
    last = Invoice.objects.filter(till=till).order_by("-sequence").first()
    deep = Invoice.objects.filter(till=till, sequence=max(invoices - DEEP, 1)).first()
    return {
        "seconds": time.perf_counter() - started,
        "number": last.number if last else "",
        "day": str(last.business_date) if last else "",
        "deep": deep.number if deep else "",
    }


def fill_chain(*, stores: int, tills: int) -> dict[str, Any]:
    """Add ``stores`` stores and ``tills`` tills spread over them, each enrolled (a
    credential), and :data:`CHANGES_PER_STORE` change-log entries per store. Of the
    tills: 1 in 100 not seen for two hours, 1 in 50 never seen, 1 in 200 revoked, 1 in
    25 with sales to send; the others seen seconds ago, a few changes behind. Each till's
    journal checked (three chains; one in 500 pending)."""
    from uuid import uuid4

    from comptoir.journal.models import ChainCheck
    from comptoir.stores.models import Store, Till
    from comptoir.sync.models import ChangeLog, NodeCredential

    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        shops = [
            Store(name=f"Magasin de banc {i:05d}", city=f"Ville {i % 300}") for i in range(stores)
        ]
        _insert(Store, shops)
        posts = [
            Till(store=shops[n % stores], name=f"Caisse {n:05d}", prefix=f"Q{n:05d}")
            for n in range(tills)
        ]
        _insert(Till, posts)
        _insert(
            ChangeLog,
            [
                ChangeLog(
                    model="sales.invoice",
                    row_id=uuid4(),
                    store=shop,
                    origin_node=f"bench-{(i * stores + k) % max(tills, 1):05d}",
                    created_at=now,
                )
                for i, shop in enumerate(shops)
                for k in range(CHANGES_PER_STORE)
            ],
        )
        head = ChangeLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        creds = []
        for n, till in enumerate(posts):
            seen: Any = now - timedelta(seconds=n % 30)
            if n % 100 == 7:
                seen = now - timedelta(hours=2)
            elif n % 50 == 1:
                seen = None
            creds.append(
                NodeCredential(
                    node_id=f"bench-{n:05d}",
                    name=till.name,
                    till=till,
                    token_hash=f"{n:064x}",
                    last_seen_at=seen,
                    last_push_at=seen,
                    last_pull_at=seen,
                    pull_cursor=0 if seen is None else max(head - n % (3 * stores), 0),
                    version="1.0",
                    revoked_at=now if n % 200 == 3 else None,
                    pending_count=None if seen is None else (5 if n % 25 == 0 else 0),
                    pending_at=seen,
                )
            )
        _insert(NodeCredential, creds)
        _insert(
            ChainCheck,
            [
                ChainCheck(
                    till=till,
                    chain=chain,
                    status="pending" if n % 500 == 9 and chain == "doc" else "whole",
                    count=100,
                    checked_at=now,
                )
                for n, till in enumerate(posts)
                for chain in ("doc", "close", "event")
            ],
        )
    middle = shops[stores // 2] if shops else None
    return {
        "seconds": time.perf_counter() - started,
        "store": str(middle.pk) if middle else "",
        "store_name": middle.name if middle else "",
    }


def _manager() -> Any:
    from django.contrib.auth import get_user_model

    from comptoir.web.roles import role_set

    user, _created = get_user_model().objects.get_or_create(username="bench-pages")
    role_set(user, "manager")
    return user


def measure(*, number: str, day: str, deep: str, repeat: int = 7) -> list[tuple[str, float, float]]:
    """Time each page: (page, p50 ms, max ms) over ``repeat`` requests after a warm-up.

    ``number``: the newest invoice; ``day``: its business day; ``deep``: the invoice
    :data:`DEEP` rows below it.
    """
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_manager())
    first = client.get("/gestion/factures/", {"customer": "client 12"}).content.decode()
    link = re.search(r'href="[^"]*[?;]after=([^&"]+)[^"]*" rel="next"', first)
    values = {
        "number": number,
        "day": day,
        "deep": deep,
        "customer_next": unquote_plus(link.group(1)) if link else "",
    }
    return _time(client, PAGES, values, repeat)


def measure_chain(
    *, store: str, store_name: str, repeat: int = 3
) -> list[tuple[str, float, float]]:
    """Time :data:`CHAIN_PAGES` like :func:`measure` (``store``: a store's id and name
    for the one-store filters)."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_manager())
    values = {"store": store, "store_name": store_name.replace(" ", "+")}
    return _time(client, CHAIN_PAGES, values, repeat)


def _time(
    client: Client, pages: tuple[tuple[str, str], ...], values: dict[str, str], repeat: int
) -> list[tuple[str, float, float]]:
    rows = []
    for name, template in pages:
        url = template.format(**values)
        timings = []
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            if attempt:
                timings.append(elapsed)
        rows.append((name, round(statistics.median(timings), 1), round(max(timings), 1)))
    return rows


def run(
    *,
    articles: int = 50_000,
    invoices: int = 200_000,
    stores: int = 0,
    tills: int = 0,
    repeat: int = 7,
) -> dict[str, Any]:
    """Fill, then measure; what ``python -m bench`` would record (the chain's pages
    too when ``stores``, on ``tills`` tills, named « chain: … »)."""
    filled = fill(articles=articles, invoices=invoices)
    rows = measure(number=filled["number"], day=filled["day"], deep=filled["deep"], repeat=repeat)
    out: dict[str, Any] = {"fill_seconds": round(filled["seconds"], 1), "rows": rows}
    if stores:
        chain = fill_chain(stores=stores, tills=tills)
        out["chain_fill_seconds"] = round(chain["seconds"], 1)
        rows += [
            (f"chain: {name}", p50, worst)
            for name, p50, worst in measure_chain(
                store=chain["store"], store_name=chain["store_name"]
            )
        ]
    return out
