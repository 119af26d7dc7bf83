"""Plausibility bounds of quantities and amounts, the same on every post. Pure: no Django.

Quantities are stored as integer thousandths and money as integer minor units, in 64-bit
columns (PostgreSQL ``bigint``, SQLite ``INTEGER``): at most 9.2 × 10^18. Derived
numbers are sums of facts (a stock level sums every movement of an article in a store, a
day's revenue every invoice of the store), and a sum past 2^63 is a disaster: PostgreSQL
refuses the statement, so the hub refuses the fact for ever, and SQLite silently turns
the sum into a REAL, which later breaks every sale of the article. So every value that
enters a fact is bounded far below what a column holds, and sums over millions of
facts stay exact:

- :data:`MAX_QUANTITY`: 10^9 units (pieces, kg, l or m) for a sold or returned line, a
  stock movement (receipt, loss, transfer, a sale's movement summing the lines of one
  article), an inventory count and an alert threshold. Stored: 10^12 thousandths, so
  more than nine million maximal movements of one article in one store before a level
  could overflow (a real shop does not come within a factor of a million of that).
- :data:`MAX_AMOUNT`: 10^11 minor units (a thousand million euros; a hundred thousand
  million francs CFA, about 150 million euros) for a price, a cost, a payment, and any
  amount computed from them: a line's total (quantity × unit price, and quantity × unit
  cost, the *products* of two bounded values, which are bounded again), a document's
  totals and the sum of its payments. More than 90 million maximal invoices before a
  sum could overflow.

Bounds are on the magnitude: a stock movement's quantity is negative for an outflow.
The parsing functions (``quantity.parse_quantity``, ``money.parse_amount``) refuse what
is out of bounds with a French sentence, so every entry point (CLI, till screen, back
office, admin, CSV import) does; the sales services check the products and sums; the
model fields carry the same bounds as validators (``core.fields``), which the sync
apply checks on every received row, so the hub refuses what no post could validate.
"""

from __future__ import annotations

from decimal import Decimal

MAX_QUANTITY = Decimal(10**9)
MAX_AMOUNT = 10**11


def quantity_fits(value: Decimal | int) -> bool:
    """Whether a (finite) quantity is within the bounds, whatever its sign."""
    return -MAX_QUANTITY <= value <= MAX_QUANTITY


def amount_fits(minor: int | Decimal) -> bool:
    """Whether an amount in minor units is within the bounds, whatever its sign."""
    return -MAX_AMOUNT <= minor <= MAX_AMOUNT
