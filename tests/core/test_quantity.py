from decimal import Decimal

import pytest

from comptoir.lib.errors import ComptoirError
from comptoir.lib.quantity import format_quantity, from_thousandths, parse_quantity, to_thousandths
from comptoir.sales.management.parsing import parse_item


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


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("0,250", "kg", "0.250"),
        ("0.250", "kg", "0.250"),
        ("1 234,5", "kg", "1234.5"),
        ("1\u00a0234,5", "kg", "1234.5"),
        ("1\u202f234,5", "kg", "1234.5"),
        ("1.234,5", "kg", "1234.5"),
        ("1,234.5", "kg", "1234.5"),
        ("1'234.5", "kg", "1234.5"),
        ("1\u2019234", "piece", "1234"),
        ("1,234,567", "piece", "1234567"),
        ("1.234.567", "piece", "1234567"),
        ("1,234", "kg", "1.234"),  # a single separator is decimal
    ],
)
def test_quantities_are_read_in_french_english_and_swiss_writings(text, unit, expected):
    assert parse_quantity(text, unit=unit) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-2", "-2"), ("-1,5", "-1.5"), ("-1 234,5", "-1234.5"), ("-1,234.5", "-1234.5")],
)
def test_negative_quantities_keep_their_sign_when_allowed(text, expected):
    assert parse_quantity(text, unit="kg", allow_negative=True) == Decimal(expected)
    with pytest.raises(ComptoirError, match="positive"):
        parse_quantity(text, unit="kg")


@pytest.mark.parametrize(
    "text",
    ["1,23.5", "12,34,5", "1234,567.5", "1.234.5,6,7", "1,,5", "1e3", "1_000", "3 kg", "--2"],
)
def test_malformed_separators_are_refused_as_invalid_quantities(text):
    with pytest.raises(ComptoirError, match="Quantité invalide"):
        parse_quantity(text, unit="kg", allow_negative=True)


def _former_parse_quantity(text: str) -> Decimal:
    """parse_quantity's reading before thousands separators were understood (the reference)."""
    value = Decimal(text.strip().replace(",", "."))
    assert value.is_finite()
    return value.quantize(Decimal("0.001"))


@pytest.mark.parametrize(
    "text",
    [
        "3",
        " 3 ",
        "+3",
        "-2",
        "0",
        "0,250",
        "0.250",
        "1.5",
        ",5",
        "5.",
        "007",
        "123456,789",
        "-0,001",
    ],
)
def test_every_quantity_accepted_before_keeps_its_value(text):
    parsed = parse_quantity(text, unit="kg", allow_zero=True, allow_negative=True)
    assert parsed == _former_parse_quantity(text)
    assert str(parsed) == str(_former_parse_quantity(text))


def test_decimals_and_ints_are_taken_as_they_are():
    assert parse_quantity(Decimal("1.250"), unit="kg") == Decimal("1.250")
    assert parse_quantity(Decimal("1E+3")) == Decimal(1000)
    assert parse_quantity(7) == Decimal(7)


@pytest.mark.parametrize(
    ("item", "quantity"),
    [("A12:1.234,5", "1234.5"), ("A12:1,234.5", "1234.5"), ("A12:0,250", "0.25"), ("A12", "1")],
)
def test_a_command_line_item_keeps_its_quantity_as_typed(item: str, quantity: str) -> None:
    """``comptoir sell A12:1.234,5``: the quantity goes to the sale as typed, read once."""
    line = parse_item(item)
    assert parse_quantity(line.quantity, unit="kg") == Decimal(quantity)
