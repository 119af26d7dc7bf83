"""What a period of a till adds up to, and the periods themselves. Pure: no ORM.

:class:`PeriodFigures` are gathered per day from the facts (``closings.selectors``);
a month's or a year's are the sum of its days' (:func:`combine`), and the sum must equal
what the facts give for the whole period (the closing checks it). Amounts are minor units.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

CASH = "cash"


@dataclass(frozen=True, slots=True)
class Amounts:
    excl_vat: int = 0
    vat: int = 0
    incl_vat: int = 0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.excl_vat + other.excl_vat, self.vat + other.vat, self.incl_vat + other.incl_vat
        )

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.excl_vat - other.excl_vat, self.vat - other.vat, self.incl_vat - other.incl_vat
        )

    def as_data(self) -> dict[str, int]:
        return {"excl_vat": self.excl_vat, "vat": self.vat, "incl_vat": self.incl_vat}


@dataclass(frozen=True, slots=True)
class Documents:
    """The documents of one series (invoices, or credit notes) in a period.

    ``first`` and ``last`` are numbers; ``by_rate`` the amounts per VAT rate.
    """

    count: int = 0
    first: str = ""
    last: str = ""
    by_rate: Mapping[Decimal, Amounts] = field(default_factory=dict)

    @property
    def amounts(self) -> Amounts:
        return sum(self.by_rate.values(), Amounts())

    def __add__(self, later: Documents) -> Documents:
        """These documents, then ``later``'s (in that order: numbers grow with time)."""
        rates = dict(self.by_rate)
        for rate, amounts in later.by_rate.items():
            rates[rate] = rates.get(rate, Amounts()) + amounts
        return Documents(
            count=self.count + later.count,
            first=self.first or later.first,
            last=later.last or self.last,
            by_rate=dict(sorted(rates.items())),
        )


def _add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return {k: v for k, v in sorted(out.items()) if v}


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What a period's facts add up to.

    ``payments``: received per method, cash net of the change given back; ``refunds``:
    refunded per method by the credit notes.
    """

    invoices: Documents = Documents()
    credit_notes: Documents = Documents()
    payments: Mapping[str, int] = field(default_factory=dict)
    refunds: Mapping[str, int] = field(default_factory=dict)

    @property
    def sales(self) -> Amounts:
        return self.invoices.amounts

    @property
    def returns(self) -> Amounts:
        return self.credit_notes.amounts

    @property
    def total(self) -> Amounts:
        """The period's grand total: sales minus returns."""
        return self.sales - self.returns

    def __add__(self, later: PeriodFigures) -> PeriodFigures:
        return PeriodFigures(
            invoices=self.invoices + later.invoices,
            credit_notes=self.credit_notes + later.credit_notes,
            payments=_add(self.payments, later.payments),
            refunds=_add(self.refunds, later.refunds),
        )

    def by_rate_data(self) -> list[dict[str, Any]]:
        """Per VAT rate, the sales and the returns (rates where both are zero left out)."""
        rows = []
        for rate in sorted(set(self.invoices.by_rate) | set(self.credit_notes.by_rate)):
            sales = self.invoices.by_rate.get(rate, Amounts())
            returns = self.credit_notes.by_rate.get(rate, Amounts())
            if sales != Amounts() or returns != Amounts():
                rows.append(
                    {"rate": str(rate), "sales": sales.as_data(), "returns": returns.as_data()}
                )
        return rows


def rates_from_data(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[dict[Decimal, Amounts], dict[Decimal, Amounts]]:
    """The sales and returns per rate kept by :meth:`PeriodFigures.by_rate_data`."""
    sales: dict[Decimal, Amounts] = {}
    returns: dict[Decimal, Amounts] = {}
    for row in rows:
        rate = Decimal(row["rate"])
        for side, out in ((row["sales"], sales), (row["returns"], returns)):
            amounts = Amounts(side["excl_vat"], side["vat"], side["incl_vat"])
            if amounts != Amounts():
                out[rate] = amounts
    return sales, returns


def combine(parts: Iterable[PeriodFigures]) -> PeriodFigures:
    """The figures of consecutive periods (in time order) as one."""
    total = PeriodFigures()
    for part in parts:
        total = total + part
    return total


@dataclass(frozen=True, slots=True)
class Perpetual:
    """The running totals since the till's first document."""

    total: int = 0
    absolute: int = 0

    def after(self, figures: PeriodFigures) -> Perpetual:
        """Previous + sales − |returns|, and previous + sales + |returns|."""
        sales, returns = figures.sales.incl_vat, abs(figures.returns.incl_vat)
        return Perpetual(self.total + sales - returns, self.absolute + sales + returns)


# -- periods ---------------------------------------------------------------------------


def days(start: date, end: date) -> Iterator[date]:
    """Every day from ``start`` to ``end``, both included."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def month_of(day: date) -> tuple[date, date]:
    """The first and last days of ``day``'s month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def fiscal_year_of(day: date, first_month: int) -> tuple[date, date]:
    """The first and last days of ``day``'s fiscal year, which starts on the first day of
    ``first_month`` (1 for a calendar year)."""
    year = day.year if day.month >= first_month else day.year - 1
    start = date(year, first_month, 1)
    following = date(year + 1, first_month, 1)
    return start, following - timedelta(days=1)
