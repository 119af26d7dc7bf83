from decimal import Decimal

import pytest

from comptoir.core.errors import ComptoirError
from comptoir.core.quantity import (
    format_quantity,
    from_thousandths,
    parse_quantity,
    to_thousandths,
)


def test_piece_quantities_are_whole_numbers():
    assert parse_quantity("3") == Decimal("3.000")
    with pytest.raises(ComptoirError, match="entière"):
        parse_quantity("1.5", unit="piece")


def test_weighed_quantities_take_three_decimals_not_four():
    assert parse_quantity("0,250", unit="kg") == Decimal("0.250")
    with pytest.raises(ComptoirError, match="3 décimales"):
        parse_quantity("1.2345", unit="kg")


def test_zero_and_negative_quantities_are_refused_unless_allowed():
    with pytest.raises(ComptoirError, match="nulle"):
        parse_quantity("0")
    with pytest.raises(ComptoirError, match="positive"):
        parse_quantity("-2")
    assert parse_quantity("0", allow_zero=True) == 0
    assert parse_quantity("-2", allow_negative=True) == Decimal(-2)


@pytest.mark.parametrize("text", ["x", "", "NaN", "inf"])
def test_garbage_quantities_are_refused(text):
    with pytest.raises(ComptoirError, match="Quantité invalide"):
        parse_quantity(text)


def test_quantities_are_never_floats():
    with pytest.raises(TypeError):
        parse_quantity(1.5, unit="kg")  # type: ignore[arg-type]


def test_quantities_round_trip_through_thousandths():
    for text in ("0.001", "1.250", "-3", "123456.789"):
        value = Decimal(text)
        assert from_thousandths(to_thousandths(value)) == value
    assert to_thousandths(Decimal("1.25")) == 1250


def test_whole_quantities_print_without_decimals():
    assert format_quantity(Decimal("3.000")) == "3"
    assert format_quantity(Decimal("0.25")) == "0.250"
