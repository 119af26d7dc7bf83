"""A basket discount, spread over the lines: exact to the minor unit, per VAT rate too."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.lib.errors import ValidationError
from comptoir.sales.calculations import (
    BasketDiscount,
    LineInput,
    allocate,
    basket_discount_parse,
    document_totals,
)

RATES = [Decimal(r) for r in ("0", "2.10", "5.50", "10", "20")]

lines_strategy = st.lists(
    st.builds(
        LineInput,
        unit_price=st.integers(min_value=0, max_value=500_000),
        quantity=st.sampled_from([Decimal(1), Decimal(2), Decimal(7), Decimal("0.125")]),
        vat_rate=st.sampled_from(RATES),
        discount_rate=st.sampled_from([Decimal(0), Decimal(5), Decimal("12.5")]),
    ),
    min_size=1,
    max_size=12,
)
discount_strategy = st.one_of(
    st.builds(
        BasketDiscount,
        rate=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
    ),
    st.builds(BasketDiscount, amount=st.integers(min_value=0, max_value=10_000_000)),
)


def check_exact(lines: list[LineInput], discount: BasketDiscount) -> None:
    plain = document_totals(lines)
    totals = document_totals(lines, discount)
    shares = [t.basket_discount for t in totals.lines]
    # The shares add up to the discount, to the minor unit, and none exceeds its line.
    assert sum(shares) == totals.basket_discount
    assert totals.basket_discount == discount.on(plain.total_incl_tax)
    assert totals.total_incl_tax == plain.total_incl_tax - totals.basket_discount
    for before, after in zip(plain.lines, totals.lines, strict=True):
        assert 0 <= after.basket_discount <= before.total_incl_tax
        assert after.total_incl_tax == before.total_incl_tax - after.basket_discount
        assert after.total_excl_tax + after.total_tax == after.total_incl_tax
    # Per rate: the lines of that rate, base + VAT = total incl. VAT.
    for tax in totals.taxes:
        of_rate = sum(
            t.total_incl_tax
            for line, t in zip(lines, totals.lines, strict=True)
            if line.vat_rate == tax.vat_rate
        )
        assert tax.total_incl_tax == of_rate
        assert tax.base_excl_tax + tax.tax == tax.total_incl_tax
    assert totals.total_excl_tax + totals.total_tax == totals.total_incl_tax
    # Pro rata: each share is within one minor unit of its exact proportion.
    whole = plain.total_incl_tax
    if whole:
        for before, after in zip(plain.lines, totals.lines, strict=True):
            exact = Fraction(totals.basket_discount * before.total_incl_tax, whole)
            assert abs(after.basket_discount - exact) < 1


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, discount=discount_strategy)
def test_a_basket_discount_is_spread_exactly_over_random_baskets(lines, discount):
    check_exact(lines, discount)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30),
)
def test_allocate_adds_up_and_never_gives_a_weight_more_than_itself(amount, weights):
    shares = allocate(min(amount, sum(weights)), weights)
    assert sum(shares) == min(amount, sum(weights))
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


def test_largest_remainders_take_the_leftover_units_earliest_first_on_ties():
    assert allocate(100, [1, 1, 1]) == (34, 33, 33)
    assert allocate(10, [3, 3, 4]) == (3, 3, 4)
    assert allocate(5, [2, 2, 2]) == (2, 2, 1)
    # 7 × 10/13 = 5.38, 7 × 3/13 = 1.62: the larger remainder gets the unit.
    assert allocate(7, [10, 3]) == (5, 2)


def test_ten_percent_off_a_two_rate_basket_in_euros():
    lines = [
        LineInput(unit_price=1000, quantity=Decimal(1), vat_rate=Decimal(20)),
        LineInput(unit_price=1300, quantity=Decimal(1), vat_rate=Decimal("5.5")),
    ]
    totals = document_totals(lines, BasketDiscount(rate=Decimal(10)))
    assert totals.basket_discount == 230
    assert [t.basket_discount for t in totals.lines] == [100, 130]
    assert [(t.vat_rate, t.base_excl_tax, t.tax, t.total_incl_tax) for t in totals.taxes] == [
        (Decimal("5.5"), 1109, 61, 1170),
        (Decimal(20), 750, 150, 900),
    ]
    assert totals.total_incl_tax == 2070


def test_an_amount_off_a_basket_in_cfa_francs_has_no_minor_unit_to_lose():
    # XOF: exponent 0, amounts are whole francs.
    lines = [
        LineInput(unit_price=1500, quantity=Decimal(1), vat_rate=Decimal(18)),
        LineInput(unit_price=1000, quantity=Decimal(3), vat_rate=Decimal(0)),
        LineInput(unit_price=250, quantity=Decimal(1), vat_rate=Decimal(18)),
    ]
    discount = basket_discount_parse("1000", "XOF")
    assert discount == BasketDiscount(amount=1000)
    totals = document_totals(lines, discount)
    # 1000 × (1500, 3000, 250) / 4750 = 315.79, 631.58, 52.63 → 315, 631, 52 and the 2
    # francs left go to the largest remainders (0.79, 0.63).
    assert [t.basket_discount for t in totals.lines] == [316, 631, 53]
    assert totals.total_incl_tax == 3750
    check_exact(lines, discount)


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("10%", "EUR", BasketDiscount(rate=Decimal(10))),
        (" 12,5 % ", "EUR", BasketDiscount(rate=Decimal("12.5"))),
        ("1,50", "EUR", BasketDiscount(amount=150)),
        ("1.50", "EUR", BasketDiscount(amount=150)),
        ("500", "XOF", BasketDiscount(amount=500)),
        ("", "EUR", None),
        ("0%", "EUR", None),
        ("0", "EUR", None),
    ],
)
def test_a_discount_is_typed_as_a_percentage_or_an_amount(text, currency, expected):
    assert basket_discount_parse(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency"), [("150%", "EUR"), ("-2", "EUR"), ("1.5", "XOF"), ("dix", "EUR")]
)
def test_a_malformed_discount_is_refused_in_french(text, currency):
    with pytest.raises(ValidationError):
        basket_discount_parse(text, currency)


def test_the_stored_text_reads_back_as_the_same_discount():
    for discount in (BasketDiscount(rate=Decimal("12.50")), BasketDiscount(amount=150)):
        assert basket_discount_parse(discount.text("EUR"), "EUR") == discount
    assert BasketDiscount(rate=Decimal("12.50")).text("EUR") == "12.5%"
