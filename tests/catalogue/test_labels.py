"""Reading scale labels (``catalogue.labels``): pure, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stdnum import ean

from comptoir.catalogue.labels import (
    PRICE,
    WEIGHT,
    LabelFormat,
    label_format_default,
    label_quantity,
    label_read,
    label_rule_for,
)
from comptoir.lib.errors import ValidationError
from comptoir.lib.money import round_half_up

WEIGHED = label_format_default(prefix="21", code_digits=5, kind=WEIGHT)
PRICED = label_format_default(prefix="22", code_digits=5, kind=PRICE)


def label(first12: str) -> str:
    """A label with its right check digit."""
    return first12 + ean.calc_check_digit(first12)


def test_the_default_layout_is_code_after_prefix_then_value_up_to_position_12() -> None:
    assert LabelFormat("21", 3, 5, 8, 5, WEIGHT) == WEIGHED
    assert label_format_default(prefix="2", code_digits=6, kind=PRICE) == LabelFormat(
        "2", 2, 6, 8, 5, PRICE
    )


def test_a_weight_label_reads_its_code_and_grams() -> None:
    code = label("210012301234")
    read = label_read(code, WEIGHED)
    assert (read.article_code, read.value) == ("00123", 1234)
    qty = label_quantity(read, article="123", unit="kg", unit_price=1290, currency="EUR")
    assert qty == Decimal("1.234")


def test_the_longest_matching_prefix_wins_and_other_codes_are_not_labels() -> None:
    broad = label_format_default(prefix="2", code_digits=6, kind=PRICE)
    assert label_rule_for(label("210012301234"), [broad, WEIGHED]) is WEIGHED
    assert label_rule_for(label("230012301234"), [broad, WEIGHED]) is broad
    assert label_rule_for("3017620422003", [broad, WEIGHED]) is None
    assert label_rule_for("21001230123", [WEIGHED]) is None  # 11 digits
    assert label_rule_for("21OO123012343", [WEIGHED]) is None  # letters
    assert label_rule_for("２１００１２３０１２３４３", [WEIGHED]) is None  # full-width digits


def test_a_wrong_check_digit_is_refused_in_french() -> None:
    good = label("210012301234")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(ValidationError, match="chiffre de contrôle est faux"):
        label_read(bad, WEIGHED)


def test_a_weight_label_for_an_article_not_sold_by_the_kilogram_is_refused() -> None:
    read = label_read(label("210012301234"), WEIGHED)
    for unit in ("piece", "l"):
        with pytest.raises(ValidationError, match="ne se vend pas au kilogramme"):
            label_quantity(read, article="123", unit=unit, unit_price=1290, currency="EUR")


def test_a_zero_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="nul"):
        label_read(label("210012300000"), WEIGHED)


@pytest.mark.parametrize(
    ("unit_price", "amount", "currency"),
    [
        (1290, 325, "EUR"),  # 12,90 €/kg, 3,25 €
        (3590, 1246, "EUR"),  # 35,90 €/kg: the step is 3,59 cents, the scale's own price
        (499, 1, "EUR"),
        (2500, 1250, "XOF"),  # 2 500 F CFA/kg, 1 250 F CFA: 0,500 kg
        (1750, 613, "XOF"),  # 0,350 kg at 1 750 F: 612,5 rounds to 613
    ],
)
def test_a_price_label_sells_the_quantity_whose_price_is_the_label_amount(
    unit_price: int, amount: int, currency: str
) -> None:
    read = label_read(label(f"22001230{amount:04d}"), PRICED)
    qty = label_quantity(read, article="123", unit="kg", unit_price=unit_price, currency=currency)
    assert qty == qty.quantize(Decimal("0.001"))
    assert round_half_up(Decimal(unit_price) * qty) == amount
    # and the nearest such weight to what the scale weighed
    assert abs(qty - Decimal(amount) / unit_price) < Decimal("0.001")


def test_a_price_no_weight_reaches_never_charges_more_than_the_label() -> None:
    # 39,90 €/kg: 0,081 kg is 3,23 € and 0,082 kg is 3,27 €; a label says 3,25 €
    read = label_read(label("220012300325"), PRICED)
    qty = label_quantity(read, article="123", unit="kg", unit_price=3990, currency="EUR")
    assert qty == Decimal("0.081")
    assert round_half_up(Decimal(3990) * qty) == 323


def test_a_price_label_sells_pieces_only_by_whole_multiples() -> None:
    read = label_read(label("220012300600"), PRICED)
    qty = label_quantity(read, article="123", unit="piece", unit_price=200, currency="EUR")
    assert qty == Decimal(3)
    odd = label_read(label("220012300650"), PRICED)
    with pytest.raises(ValidationError, match=r"n'est pas un multiple de son prix \(2,00\xa0€\)"):
        label_quantity(odd, article="123", unit="piece", unit_price=200, currency="EUR")


def test_a_price_label_for_an_article_without_price_is_refused() -> None:
    read = label_read(label("220012300600"), PRICED)
    with pytest.raises(ValidationError, match="n'a pas de prix"):
        label_quantity(read, article="123", unit="kg", unit_price=0, currency="EUR")


@pytest.mark.parametrize(
    "layout",
    [
        LabelFormat("19", 3, 5, 8, 5, WEIGHT),  # not the in-store range
        LabelFormat("2x", 3, 5, 8, 5, WEIGHT),
        LabelFormat("2100", 5, 4, 9, 4, WEIGHT),  # prefix too long
        LabelFormat("21", 3, 5, 8, 6, WEIGHT),  # the value runs into the check digit
        LabelFormat("21", 2, 5, 8, 5, WEIGHT),  # the code overlaps the prefix
        LabelFormat("21", 3, 5, 7, 5, WEIGHT),  # the value overlaps the code
        LabelFormat("21", 3, 0, 8, 5, WEIGHT),
        LabelFormat("21", 3, 5, 8, 5, "volume"),
    ],
)
def test_a_layout_that_cannot_read_a_label_is_refused(layout: LabelFormat) -> None:
    with pytest.raises(ValidationError):
        layout.check()
