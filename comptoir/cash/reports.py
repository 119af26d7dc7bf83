"""The X and Z reports of a cash session. Pure: no ORM.

Built from what the session's facts add up to (:class:`SessionFigures`, gathered by
``cash.selectors``), never from the statistics tables. The Z is the X at the close, with
the blind count; it is kept with the closing as plain data (:meth:`SessionReport.as_data`
with minor units), so that it prints tomorrow as it printed at the close.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CASH = "cash"


@dataclass(frozen=True, slots=True)
class VatRow:
    rate: Decimal
    excl_vat: int
    vat: int
    incl_vat: int


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    """Documents of one kind (invoices, or credit notes) of the session."""

    count: int = 0
    first: str = ""
    last: str = ""
    by_rate: tuple[VatRow, ...] = ()

    @property
    def excl_vat(self) -> int:
        return sum(r.excl_vat for r in self.by_rate)

    @property
    def vat(self) -> int:
        return sum(r.vat for r in self.by_rate)

    @property
    def incl_vat(self) -> int:
        return sum(r.incl_vat for r in self.by_rate)


@dataclass(frozen=True, slots=True)
class SessionFigures:
    """What a session's facts add up to, as gathered from the database."""

    currency: str
    float_amount: int
    sales: DocumentTotals = DocumentTotals()
    returns: DocumentTotals = DocumentTotals()
    # Tendered per payment method; the change given back (always cash) apart.
    payments: Mapping[str, int] = field(default_factory=dict)
    change_given: int = 0
    # Refunded per method (credit notes).
    refunds: Mapping[str, int] = field(default_factory=dict)
    discounts: int = 0
    cash_in: int = 0
    cash_out: int = 0
    # Customers' settlements of their accounts taken at the till, per method.
    settlements: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SessionReport:
    figures: SessionFigures
    counted: int | None = None

    @property
    def payments(self) -> dict[str, int]:
        """Received per method, cash net of the change given back."""
        out = dict(self.figures.payments)
        if self.figures.change_given:
            out[CASH] = out.get(CASH, 0) - self.figures.change_given
        return {m: a for m, a in sorted(out.items()) if a}

    @property
    def expected_cash(self) -> int:
        """What the drawer should hold: the float, cash received net of change, cash
        refunded, accounts settled in cash, and the cash put in or taken out."""
        f = self.figures
        return (
            f.float_amount
            + self.payments.get(CASH, 0)
            - f.refunds.get(CASH, 0)
            + f.settlements.get(CASH, 0)
            + f.cash_in
            - f.cash_out
        )

    @property
    def difference(self) -> int | None:
        """Counted minus expected: positive over, negative short."""
        return None if self.counted is None else self.counted - self.expected_cash

    def as_data(self, amount: Callable[[int], Any] = int) -> dict[str, Any]:
        """The report as plain data, each amount through ``amount`` (minor units by
        default, as kept; ``format_amount`` for ``--json``)."""
        f = self.figures

        def documents(d: DocumentTotals) -> dict[str, Any]:
            return {
                "count": d.count,
                "first": d.first,
                "last": d.last,
                "excl_vat": amount(d.excl_vat),
                "vat": amount(d.vat),
                "incl_vat": amount(d.incl_vat),
                "by_rate": [
                    {
                        "rate": str(r.rate),
                        "excl_vat": amount(r.excl_vat),
                        "vat": amount(r.vat),
                        "incl_vat": amount(r.incl_vat),
                    }
                    for r in d.by_rate
                ],
            }

        difference = self.difference
        return {
            "currency": f.currency,
            "invoices": documents(f.sales),
            "credit_notes": documents(f.returns),
            "net": {
                "excl_vat": amount(f.sales.excl_vat - f.returns.excl_vat),
                "vat": amount(f.sales.vat - f.returns.vat),
                "incl_vat": amount(f.sales.incl_vat - f.returns.incl_vat),
            },
            "payments": {m: amount(a) for m, a in self.payments.items()},
            "refunds": {m: amount(a) for m, a in sorted(f.refunds.items()) if a},
            "discounts": amount(f.discounts),
            "settlements": {m: amount(a) for m, a in sorted(f.settlements.items()) if a},
            "cash": {
                "float": amount(f.float_amount),
                "sales": amount(self.payments.get(CASH, 0)),
                "refunds": amount(f.refunds.get(CASH, 0)),
                "settlements": amount(f.settlements.get(CASH, 0)),
                "in": amount(f.cash_in),
                "out": amount(f.cash_out),
                "expected": amount(self.expected_cash),
                "counted": None if self.counted is None else amount(self.counted),
                "difference": None if difference is None else amount(difference),
            },
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SessionReport:
        """The report kept by :meth:`as_data` (minor units), back."""

        def documents(d: Mapping[str, Any]) -> DocumentTotals:
            rows = tuple(
                VatRow(Decimal(r["rate"]), r["excl_vat"], r["vat"], r["incl_vat"])
                for r in d["by_rate"]
            )
            return DocumentTotals(d["count"], d["first"], d["last"], rows)

        cash = data["cash"]
        return cls(
            SessionFigures(
                currency=data["currency"],
                float_amount=cash["float"],
                sales=documents(data["invoices"]),
                returns=documents(data["credit_notes"]),
                # Kept net of the change given back.
                payments=dict(data["payments"]),
                refunds=dict(data["refunds"]),
                discounts=data["discounts"],
                cash_in=cash["in"],
                cash_out=cash["out"],
                # A Z kept before settlements existed has none.
                settlements=dict(data.get("settlements", {})),
            ),
            counted=cash["counted"],
        )
