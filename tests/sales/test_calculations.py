"""The one invoice arithmetic, checked against an independent exact computation."""

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.lib.errors import ComptoirError
from comptoir.sales.calculations import (
    LineInput,
    MethodRule,
    document_totals,
    line_totals,
    payment_rule,
    prorate,
    settle,
)

RATES = [Decimal(r) for r in ("0", "2.10", "5.50", "8.50", "10", "20")]


def half_up(x: Fraction) -> int:
    """Round to the nearest integer, halves away from zero (the receipts' rule)."""
    if x >= 0:
        return (x + Fraction(1, 2)).__floor__()
    return -((-x + Fraction(1, 2)).__floor__())


def reference_line(line: LineInput) -> tuple[int, int, int, int]:
    gross = half_up(line.unit_price * Fraction(line.quantity))
    discount = half_up(gross * Fraction(line.discount_rate) / 100)
    incl = gross - discount
    excl = half_up(incl * Fraction(100) / (100 + Fraction(line.vat_rate)))
    return gross, discount, incl, excl


def reference_taxes(lines: list[LineInput]) -> list[tuple[Decimal, int, int, int]]:
    per_rate: dict[Decimal, int] = {}
    for line in lines:
        per_rate[line.vat_rate] = per_rate.get(line.vat_rate, 0) + reference_line(line)[2]
    taxes = []
    for rate in sorted(per_rate):
        incl = per_rate[rate]
        base = half_up(incl * Fraction(100) / (100 + Fraction(rate)))
        taxes.append((rate, base, incl - base, incl))
    return taxes


def random_line(rng: random.Random) -> LineInput:
    kind = rng.random()
    if kind < 0.5:  # by the piece
        quantity = Decimal(rng.randint(1, 50))
    elif kind < 0.9:  # weighed: grams
        quantity = Decimal(rng.randint(1, 20_000)).scaleb(-3)
    else:  # wholesale
        quantity = Decimal(rng.randint(1, 10**9)).scaleb(-3)
    common = rng.random() < 0.9
    rate = rng.choice(RATES) if common else Decimal(rng.randint(0, 9999)).scaleb(-2)
    discount = Decimal(0) if rng.random() < 0.7 else Decimal(rng.randint(0, 10_000)).scaleb(-2)
    return LineInput(
        unit_price=rng.randint(0, 10_000_000),
        quantity=quantity,
        vat_rate=rate,
        discount_rate=discount,
        unit_cost=rng.randint(0, 1_000_000),
    )


def test_a_simple_receipt_has_the_printed_figures():
    totals = document_totals(
        [
            LineInput(unit_price=250, quantity=Decimal(2), vat_rate=Decimal(20)),
            LineInput(unit_price=199, quantity=Decimal("0.350"), vat_rate=Decimal("5.5")),
        ]
    )
    # 2 × 2.50 = 5.00 TTC at 20 %: 4.17 + 0.83;
    # 0.350 kg × 1.99 = 0.6965 → 0.70 at 5.5 %: 0.66 + 0.04
    assert [(t.vat_rate, t.base_excl_tax, t.tax, t.total_incl_tax) for t in totals.taxes] == [
        (Decimal("5.5"), 66, 4, 70),
        (Decimal(20), 417, 83, 500),
    ]
    assert (totals.total_excl_tax, totals.total_tax, totals.total_incl_tax) == (483, 87, 570)


def test_halves_round_up_on_every_step():
    line = line_totals(
        LineInput(
            unit_price=5, quantity=Decimal("0.100"), vat_rate=Decimal(0), discount_rate=Decimal(50)
        )
    )
    # 5 × 0.1 = 0.5 → 1; 1 × 50 % = 0.5 → 1 discount; 0 left.
    assert (line.gross, line.discount, line.total_incl_tax) == (1, 1, 0)


@pytest.mark.slow
def test_one_hundred_thousand_random_lines_match_an_exact_fraction_computation():
    rng = random.Random(20260301)
    checked = 0
    while checked < 100_000:
        lines = [random_line(rng) for _ in range(rng.randint(1, 40))]
        totals = document_totals(lines)
        for line, got in zip(lines, totals.lines, strict=True):
            gross, discount, incl, excl = reference_line(line)
            assert (got.gross, got.discount, got.total_incl_tax, got.total_excl_tax) == (
                gross,
                discount,
                incl,
                excl,
            ), line
            assert got.total_tax == incl - excl
            assert got.total_cost == half_up(line.unit_cost * Fraction(line.quantity))
        expected = reference_taxes(lines)
        assert [
            (t.vat_rate, t.base_excl_tax, t.tax, t.total_incl_tax) for t in totals.taxes
        ] == expected
        for tax in totals.taxes:
            assert tax.base_excl_tax + tax.tax == tax.total_incl_tax
        assert totals.total_incl_tax == sum(t[3] for t in expected)
        assert totals.total_incl_tax == totals.total_excl_tax + totals.total_tax
        checked += len(lines)


line_inputs = st.builds(
    LineInput,
    unit_price=st.integers(min_value=0, max_value=10**8),
    quantity=st.integers(min_value=1, max_value=10**7).map(lambda n: Decimal(n).scaleb(-3)),
    vat_rate=st.one_of(
        st.sampled_from(RATES), st.integers(0, 9999).map(lambda n: Decimal(n).scaleb(-2))
    ),
    discount_rate=st.integers(0, 10_000).map(lambda n: Decimal(n).scaleb(-2)),
    unit_cost=st.integers(min_value=0, max_value=10**7),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(line_inputs, min_size=0, max_size=30))
def test_document_totals_invariants_hold_for_any_basket(lines):
    totals = document_totals(lines)
    assert sum(t.total_incl_tax for t in totals.taxes) == sum(
        t.total_incl_tax for t in totals.lines
    )
    for tax in totals.taxes:
        assert tax.base_excl_tax + tax.tax == tax.total_incl_tax
        assert tax.base_excl_tax <= tax.total_incl_tax
        assert tax.tax >= 0
    assert len({t.vat_rate for t in totals.taxes}) == len(totals.taxes)
    assert [t.vat_rate for t in totals.taxes] == sorted({line.vat_rate for line in lines})
    assert totals.total_excl_tax + totals.total_tax == totals.total_incl_tax
    for got in totals.lines:
        assert 0 <= got.discount <= got.gross
        assert got.total_incl_tax == got.gross - got.discount
        assert got.total_excl_tax + got.total_tax == got.total_incl_tax
    # Order of the lines never changes the totals.
    again = document_totals(list(reversed(lines)))
    assert again.taxes == totals.taxes


@given(
    amount=st.integers(0, 10**9),
    whole=st.integers(1, 10**6),
    data=st.data(),
)
def test_prorating_a_part_rounds_half_up_and_the_whole_is_exact(amount, whole, data):
    part = data.draw(st.integers(1, whole))
    got = prorate(amount, Decimal(part), Decimal(whole))
    assert got == half_up(Fraction(amount * part, whole))
    assert prorate(amount, Decimal(whole), Decimal(whole)) == amount


RULES = {
    "cash": MethodRule("cash", "Espèces", gives_change=True),
    "card": MethodRule("card", "Carte bancaire"),
    "wave": MethodRule("wave", "Wave", reference_required=True),
    "compte": MethodRule("compte", "Sur compte", on_account=True),
}


def test_cash_overpayment_gives_change():
    settlement = settle(1234, [("card", 1000), ("cash", 500)], "EUR", RULES)
    assert (settlement.paid, settlement.change) == (1500, 266)


def test_overpaying_by_card_is_refused():
    with pytest.raises(ComptoirError, match="espèces"):
        settle(1234, [("card", 1300)], "EUR", RULES)
    with pytest.raises(ComptoirError, match="rendu"):
        settle(1234, [("cash", 10), ("card", 1300)], "EUR", RULES)


def test_overpaying_by_a_mobile_money_method_is_refused_as_by_card():
    with pytest.raises(ComptoirError, match="rendu"):
        settle(1000, [("wave", 1100)], "EUR", RULES)
    assert settle(1000, [("wave", 600), ("cash", 500)], "EUR", RULES).change == 100


def test_a_payment_on_account_is_counted_apart():
    settlement = settle(1000, [("compte", 700), ("cash", 300)], "EUR", RULES)
    assert (settlement.paid, settlement.change, settlement.on_account) == (1000, 0, 700)


def test_a_method_whose_rule_requires_a_reference_is_refused_without_one():
    with pytest.raises(ComptoirError, match="référence"):
        payment_rule("wave", "  ", RULES)
    assert payment_rule("wave", "TX42", RULES).code == "wave"
    assert payment_rule("card", "", RULES).code == "card"


def test_an_unknown_or_inactive_method_is_refused_naming_the_stores_methods():
    with pytest.raises(ComptoirError, match="cash, card, wave, compte"):
        payment_rule("mobile", "", RULES)


def test_a_short_payment_is_refused_with_the_missing_amount():
    with pytest.raises(ComptoirError, match="il manque 0,01\u00a0€"):
        settle(1234, [("cash", 1233)], "EUR", RULES)


def test_a_zero_or_negative_payment_is_refused():
    with pytest.raises(ComptoirError, match="positif"):
        settle(0, [("cash", 0)], "EUR", RULES)
    with pytest.raises(ComptoirError, match="positif"):
        settle(100, [("cash", 200), ("card", -100)], "EUR", RULES)
