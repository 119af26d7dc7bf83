"""The plausibility bounds (``core.bounds``) in the one parsing path of quantities and
amounts, and on the model fields that the sync apply checks: everything within is taken
as it is, everything beyond is refused with a French sentence, never another exception."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.catalogue.models import Article
from comptoir.lib.bounds import MAX_AMOUNT, MAX_QUANTITY
from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.lib.money import parse_amount
from comptoir.lib.quantity import parse_quantity, to_thousandths
from comptoir.sales.calculations import (
    LineInput,
    MethodRule,
    check_line_bounds,
    line_totals,
    settle,
)
from comptoir.sales.models import InvoiceLine, Payment
from comptoir.stock.models import InventoryCount, StockMovement
from comptoir.sync import wire

INT64 = 2**63 - 1
THOUSANDTHS = st.integers(min_value=1, max_value=to_thousandths(MAX_QUANTITY))
BEYOND = st.integers(min_value=int(MAX_QUANTITY) + 1, max_value=10**60)


def test_the_bounds_leave_room_for_sums_over_millions_of_facts():
    assert to_thousandths(MAX_QUANTITY) * 9_000_000 < INT64
    assert MAX_AMOUNT * 90_000_000 < INT64


@settings(max_examples=200)
@given(thousandths=THOUSANDTHS)
def test_every_quantity_within_the_bounds_is_read_exactly(thousandths):
    value = Decimal(thousandths).scaleb(-3)
    assert parse_quantity(f"{value:f}", unit="kg") == value
    assert parse_quantity(f"{value:f}".replace(".", ","), unit="kg") == value


@settings(max_examples=200)
@given(whole=BEYOND, decimals=st.sampled_from(["", ".5", ",250", ".0001"]))
def test_every_quantity_beyond_the_bounds_is_refused_in_french(whole, decimals):
    for unit in ("piece", "kg"):
        with pytest.raises(ValidationError, match=r"ne peut pas dépasser 1.000.000.000"):
            parse_quantity(f"{whole}{decimals}", unit=unit)


@pytest.mark.parametrize(
    "text",
    [
        "1000000000.001",
        "35600701234563560070123456",  # a barcode scanned twice, as a quantity
        "10000000000000000000000000",  # 26 digits: more than Decimal's 28 with 3 decimals
        "9" * 100,
        "1 000 000 001",
        "1.000.000.001",
    ],
)
def test_the_examples_are_refused_not_crashed_on(text):
    with pytest.raises(ValidationError, match=r"Quantité « .+ » : elle ne peut pas dépasser"):
        parse_quantity(text, unit="kg")


def test_the_largest_quantity_is_accepted_and_a_thousandth_more_is_not():
    assert parse_quantity("1 000 000 000", unit="piece") == MAX_QUANTITY
    assert parse_quantity("0", unit="kg", allow_zero=True) == 0
    with pytest.raises(ValidationError, match="dépasser"):
        parse_quantity("1000000000,001", unit="kg")
    with pytest.raises(ValidationError, match="dépasser"):
        parse_quantity("-1000000001", unit="kg", allow_negative=True)


@settings(max_examples=200)
@given(
    minor=st.integers(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT),
    currency=st.sampled_from(["EUR", "XOF", "TND"]),
)
def test_every_amount_within_the_bounds_is_read_exactly(minor, currency):
    exp = {"EUR": 2, "XOF": 0, "TND": 3}[currency]
    assert parse_amount(f"{Decimal(minor).scaleb(-exp):f}", currency) == minor


@settings(max_examples=200)
@given(
    minor=st.integers(min_value=MAX_AMOUNT + 1, max_value=10**60),
    sign=st.sampled_from(["", "-"]),
    currency=st.sampled_from(["EUR", "XOF", "TND"]),
)
def test_every_amount_beyond_the_bounds_is_refused_in_french(minor, sign, currency):
    exp = {"EUR": 2, "XOF": 0, "TND": 3}[currency]
    with pytest.raises(ValidationError, match=r"Montant « .+ » : il ne peut pas dépasser"):
        parse_amount(f"{sign}{Decimal(minor).scaleb(-exp):f}", currency)


def test_an_absurd_price_is_refused_whatever_its_writing():
    for text in ("100000000000000000", "1 000 000 000,01", Decimal("1E+30"), 10**40):
        with pytest.raises(ValidationError, match=r"1.000.000.000,00.€"):
            parse_amount(text, "EUR")


@settings(max_examples=300)
@given(
    thousandths=THOUSANDTHS,
    price=st.integers(min_value=0, max_value=MAX_AMOUNT),
    cost=st.integers(min_value=0, max_value=MAX_AMOUNT),
)
def test_a_line_is_refused_exactly_when_a_product_is_out_of_bounds(thousandths, price, cost):
    """The product class: quantity × unit price and quantity × unit cost, each bounded."""
    line = LineInput(
        unit_price=price,
        quantity=Decimal(thousandths).scaleb(-3),
        vat_rate=Decimal(20),
        unit_cost=cost,
    )
    totals = line_totals(line)
    fits = totals.gross <= MAX_AMOUNT and totals.total_cost <= MAX_AMOUNT
    if fits:
        assert check_line_bounds(line, code="A", currency="EUR") == totals
    else:
        with pytest.raises(ValidationError, match=r"Article « A » : le .+ ne peut pas dépasser"):
            check_line_bounds(line, code="A", currency="EUR")


def test_a_price_stored_before_the_bounds_is_refused_even_where_its_product_fits():
    """A kilo at 10^13 cents, sold by the gram: the line total fits, the price does not."""
    line = LineInput(unit_price=10**13, quantity=Decimal("0.001"), vat_rate=Decimal(20))
    assert line_totals(line).gross <= MAX_AMOUNT
    with pytest.raises(ValidationError, match=r"Article « V » : son prix ou son coût dépasse"):
        check_line_bounds(line, code="V", currency="EUR")


RULES = {
    "cash": MethodRule("cash", "Espèces", gives_change=True),
    "card": MethodRule("card", "Carte bancaire"),
}


def test_payments_adding_up_beyond_the_bounds_are_refused():
    with pytest.raises(ValidationError, match="Le total des paiements ne peut pas dépasser"):
        settle(100, [("card", MAX_AMOUNT), ("cash", 1)], "EUR", RULES)


@pytest.mark.parametrize(
    ("model", "attname", "within", "beyond"),
    [
        (StockMovement, "quantity", "-1000000000", "-1000000000.001"),
        (InventoryCount, "quantity", "1000000000", "9000000000000000"),
        (InvoiceLine, "quantity", "1000000000", "1000000001"),
        (InvoiceLine, "total_incl_tax", MAX_AMOUNT, MAX_AMOUNT + 1),
        (Payment, "amount", MAX_AMOUNT, 10**18),
        (Article, "sale_price", MAX_AMOUNT, MAX_AMOUNT + 1),
        (Article, "alert_threshold", "1000000000", "1000000001"),
    ],
)
def test_a_received_value_beyond_the_bounds_is_refused_by_the_wire(model, attname, within, beyond):
    """What the sync apply reads from a peer: the fields carry the bounds as validators."""
    assert wire.from_wire(model, attname, within) is not None
    with pytest.raises(ComptoirError, match=f"Valeur invalide pour {attname}"):
        wire.from_wire(model, attname, beyond)
