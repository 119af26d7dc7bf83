"""A few weeks of a shop's life, in time order: receipts, counts, sales and returns.

Everything goes through the services, one durable transaction per fact, dated in the
past with ``at=``. Events run in chronological order because a till numbers and chains
its documents in the order they are validated.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from comptoir.lib.money import format_amount
from comptoir.ops.sampledata.catalogue import ArticleSpec, Catalogue
from comptoir.ops.sampledata.tables import CASHIERS, RETURN_REASONS
from comptoir.sales.calculations import LineInput, document_totals
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stock.services import stock_count, stock_receive

Progress = Callable[[str, int, int], None]
CURRENCY = "EUR"  # the sample prices are euros

# Relative traffic per opening hour, by weekday (0 = Monday); Sunday is a morning.
WEEKDAY_HOURS: dict[int, range] = {d: range(8, 20) for d in range(6)} | {6: range(9, 13)}
HOUR_WEIGHTS: dict[int, float] = {
    8: 0.6,
    9: 0.8,
    10: 1.0,
    11: 1.4,
    12: 1.7,
    13: 1.2,
    14: 0.7,
    15: 0.7,
    16: 0.9,
    17: 1.4,
    18: 1.8,
    19: 1.1,
}
WEEKDAY_TRAFFIC = (0.8, 0.9, 1.0, 0.95, 1.15, 1.35, 0.6)
LINE_COUNTS, LINE_WEIGHTS = (1, 2, 3, 4, 5, 6), (30, 25, 18, 12, 8, 7)
RETURN_RATE = 0.012


@dataclass
class Activity:
    catalogue: Catalogue
    rng: random.Random
    progress: Progress | None = None
    levels: dict[str, Decimal] = field(default_factory=dict)
    invoices: list[tuple[str, datetime, tuple[SaleLine, ...]]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("receipts", "inventory_counts", "invoices", "invoice_lines", "credit_notes"), 0
        )
    )

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())

    # ---- planning ---------------------------------------------------------------------

    def plan(self, first_day: date, days: int, sales_per_day: int) -> list[list[datetime]]:
        """The instants of every till transaction, day by day (unique, sorted)."""
        plans = []
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            hours = list(WEEKDAY_HOURS[day.weekday()])
            weights = [HOUR_WEIGHTS[h] for h in hours]
            n = round(sales_per_day * WEEKDAY_TRAFFIC[day.weekday()] * self.rng.uniform(0.85, 1.15))
            seconds: set[int] = set()
            while len(seconds) < n:
                hour = self.rng.choices(hours, weights)[0]
                seconds.add(hour * 3600 + self.rng.randrange(3600))
            plans.append(
                [self._at(day, time(s // 3600, s // 60 % 60, s % 60)) for s in sorted(seconds)]
            )
        return plans

    # ---- stock ------------------------------------------------------------------------

    def _expected_use(self, days: int, sales_per_day: int) -> dict[str, float]:
        total = sum(a.popularity for a in self.catalogue.articles)
        lines = days * sales_per_day * 2.5
        return {a.code: lines * a.popularity / total for a in self.catalogue.articles}

    def _receive(self, article: ArticleSpec, quantity: Decimal, at: datetime, note: str) -> None:
        stock_receive(
            article=article.code, quantity=quantity, supplier=article.supplier, note=note, at=at
        )
        self.levels[article.code] = self.levels.get(article.code, Decimal(0)) + quantity
        self.counts["receipts"] += 1

    def _quantity(self, article: ArticleSpec, amount: float) -> Decimal:
        if article.unit == "kg":
            return Decimal(max(2, round(amount) + 2))  # about a kilogram per sale
        return Decimal(max(6, round(amount * 1.5 / 6 + 0.5) * 6))  # whole cartons of six

    def initial_stock(self, at: datetime, days: int, sales_per_day: int) -> None:
        use = self._expected_use(days, sales_per_day)
        for done, article in enumerate(self.catalogue.articles, start=1):
            amount = use[article.code] * self.rng.uniform(0.5, 1.1) + 6
            self._receive(article, self._quantity(article, amount), at, "Stock initial")
            self._report("Stock initial", done, len(self.catalogue.articles))

    def restock(self, at: datetime, days: int, sales_per_day: int) -> None:
        """A delivery: what may run short before the next one is replenished."""
        use = self._expected_use(days, sales_per_day)
        for article in self.catalogue.articles:
            need = use[article.code] * 4 / max(days, 1) + float(article.alert_threshold)
            if self.levels.get(article.code, Decimal(0)) <= need:
                self._receive(article, self._quantity(article, need * 2), at, "Livraison")

    def count(self, at: datetime, articles: list[ArticleSpec]) -> None:
        """An inventory of a few shelves: the counted quantity shows a little shrinkage."""
        for article in articles:
            level = self.levels.get(article.code, Decimal(0))
            shrink = Decimal(self.rng.choice((0, 0, 0, 1, 1, 2)))
            if article.unit == "kg":
                shrink = Decimal(self.rng.randint(0, 300)) / 1000
            counted = max(Decimal(0), level - shrink)
            stock_count(article=article.code, quantity=counted, at=at, note="Inventaire tournant")
            self.levels[article.code] = counted
            self.counts["inventory_counts"] += 1

    # ---- sales ------------------------------------------------------------------------

    def _lines(self) -> tuple[SaleLine, ...]:
        articles = self.catalogue.articles
        weights = [a.popularity for a in articles]
        wanted = self.rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0]
        picked = {a.code: a for a in self.rng.choices(articles, weights, k=wanted)}
        lines = []
        for article in picked.values():
            if article.unit == "kg":
                qty = Decimal(self.rng.randint(30, 360) * 5) / 1000
            else:
                qty = Decimal(self.rng.choices((1, 2, 3, 4, 6), (70, 18, 6, 3, 3))[0])
            discount = self.rng.choice((10, 20, 30)) if self.rng.random() < 0.03 else 0
            lines.append(SaleLine(article.code, qty, discount))
        return tuple(lines)

    def _total(self, lines: tuple[SaleLine, ...]) -> int:
        by_code = {a.code: a for a in self.catalogue.articles}
        inputs = [
            LineInput(
                unit_price=by_code[line.article].price,
                quantity=Decimal(line.quantity),
                vat_rate=by_code[line.article].vat_rate,
                discount_rate=Decimal(line.discount_rate),
            )
            for line in lines
        ]
        return document_totals(inputs).total_incl_tax

    def _payments(self, total: int) -> list[PaymentInput]:
        def pay(method: str, minor: int) -> PaymentInput:
            return PaymentInput(method, format_amount(minor, CURRENCY))

        method = self.rng.choices(("card", "cash", "mobile", "cheque", "split"), (50, 35, 8, 2, 5))[
            0
        ]
        if method == "cheque" and total < 1500:
            method = "card"
        if method == "split" and total > 1000:
            cash = self.rng.choice((500, 1000))
            return [pay("cash", cash), pay("card", total - cash)]
        if method in ("cash", "split"):
            if self.rng.random() < 0.35:
                return [pay("cash", total)]
            notes = [n for n in (500, 1000, 2000, 5000, 10000) if n >= total]
            rounded = -(-total // 100) * 100
            tendered = self.rng.choice([rounded, *notes[:1]]) if notes else rounded
            return [pay("cash", tendered)]
        return [pay(method, total)]

    def _customer(self) -> str | None:
        customers = self.catalogue.customers
        if not customers or self.rng.random() > 0.2:
            return None
        regulars = customers[: max(1, len(customers) // 4)]
        return self.rng.choice(regulars if self.rng.random() < 0.6 else customers).code

    def sell(self, at: datetime) -> None:
        lines = self._lines()
        cashier = CASHIERS[(at.day + (at.hour >= 14)) % len(CASHIERS)]
        invoice = invoice_sell(
            lines=lines,
            payments=self._payments(self._total(lines)),
            customer=self._customer(),
            cashier=cashier,
            at=at,
        )
        for line in lines:
            self.levels[line.article] = self.levels.get(line.article, Decimal(0)) - Decimal(
                line.quantity
            )
        self.invoices.append((invoice.number, at, lines))
        self.counts["invoices"] += 1
        self.counts["invoice_lines"] += len(lines)

    def give_back(self, at: datetime) -> bool:
        """A customer brings back part of a recent purchase; False if nothing to return."""
        recent = [inv for inv in self.invoices[-80:] if inv[1] < at]
        if not recent:
            return False
        number, _sold_at, lines = self.rng.choice(recent)
        line = self.rng.choice(lines)
        whole = self.rng.random() < 0.3
        returned = () if whole else (ReturnLine(line.article, line.quantity),)
        note = credit_note_issue(
            invoice_number=number,
            lines=returned,
            reason=self.rng.choice(RETURN_REASONS),
            refund_method=self.rng.choice(("cash", "cash", "card")),
            cashier=CASHIERS[at.day % len(CASHIERS)],
            at=at,
        )
        for ret in note.lines.select_related("article"):
            code = ret.article.code
            self.levels[code] = self.levels.get(code, Decimal(0)) + ret.quantity
        self.invoices = [inv for inv in self.invoices if inv[0] != number]
        self.counts["credit_notes"] += 1
        return True

    def _report(self, step: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(step, done, total)


def run(
    activity: Activity,
    *,
    days: int,
    sales_per_day: int,
    today: date,
    stock: bool = True,
    sales: bool = True,
) -> Iterator[tuple[int, int]]:
    """Replay ``days`` days ending yesterday. Yields (done, total) till transactions.

    ``stock`` covers receipts and counts (the back office), ``sales`` the till's sales
    and returns; a demo hub does the first and its tills the second.
    """
    first_day = today - timedelta(days=days)
    plans = activity.plan(first_day, days, sales_per_day)
    total = sum(len(p) for p in plans)
    rng = activity.rng
    if stock:
        activity.initial_stock(
            activity._at(first_day - timedelta(days=1), time(18)), days, sales_per_day
        )
    articles = list(activity.catalogue.articles)
    counted = rng.sample(articles, k=min(len(articles), max(2, len(articles) // 25)))
    count_day = days // 2
    done = 0
    for offset, instants in enumerate(plans):
        day = first_day + timedelta(days=offset)
        if stock and offset and day.weekday() in (1, 4):  # deliveries: Tuesdays and Fridays
            activity.restock(activity._at(day, time(7, 30)), days, sales_per_day)
        if stock and offset == count_day:
            activity.count(activity._at(day, time(7, 45)), counted)
        if not sales:
            continue
        for at in instants:
            if not (rng.random() < RETURN_RATE and activity.give_back(at)):
                activity.sell(at)
            done += 1
            yield done, total
