from decimal import Decimal

import pytest

from comptoir.core.errors import ComptoirError
from comptoir.core.money import Money, format_amount, parse_amount, round_half_up


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("2.50", "EUR", 250),
        ("2,5", "EUR", 250),
        ("0.05", "EUR", 5),
        ("-0.05", "EUR", -5),
        (3, "EUR", 300),
        (Decimal("19.99"), "EUR", 1999),
        ("1 234.56", "EUR", 123456),
        ("150", "XOF", 150),
        ("1.234", "TND", 1234),
    ],
)
def test_amounts_parse_to_exact_minor_units(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [("150.5", "XOF"), ("2.555", "EUR"), ("0.001", "EUR"), ("1.0001", "TND")],
)
def test_more_decimals_than_the_currency_has_are_refused(text, currency):
    with pytest.raises(ComptoirError, match="décimale"):
        parse_amount(text, currency)


def test_xof_has_no_decimals_and_eur_two():
    assert Money.parse("150", "XOF") == Money(150, "XOF")
    assert str(Money(150, "XOF")) == "150 XOF"
    assert str(Money(150, "EUR")) == "1.50 EUR"
    with pytest.raises(ComptoirError):
        Money.parse("150.5", "XOF")


@pytest.mark.parametrize("text", ["abc", "", "NaN", "Infinity", "1.2.3"])
def test_garbage_amounts_are_refused_in_french(text):
    with pytest.raises(ComptoirError, match="Montant invalide"):
        parse_amount(text, "EUR")


def test_an_unknown_currency_is_refused():
    with pytest.raises(ComptoirError, match="Devise inconnue"):
        Money(1, "ZZZ")


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.parse(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_amount(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "EUR")


def test_money_refuses_mixed_currencies():
    with pytest.raises(ValueError, match="EUR"):
        Money(100, "EUR") + Money(100, "XOF")
    with pytest.raises(ValueError, match="EUR"):
        Money(100, "EUR") - Money(100, "USD")
    with pytest.raises(ValueError, match="EUR"):
        assert Money(100, "EUR") < Money(100, "XOF")


def test_money_refuses_to_combine_with_plain_numbers():
    with pytest.raises(TypeError):
        Money(100, "EUR") + 1  # type: ignore[operator]


def test_money_arithmetic_is_exact():
    total = sum((Money(10, "EUR") for _ in range(10)), Money(0, "EUR"))
    assert total == Money(100, "EUR")
    assert Money(5, "EUR") - Money(7, "EUR") == Money(-2, "EUR")
    assert -Money(5, "EUR") == Money(-5, "EUR")
    assert Money(5, "EUR") <= Money(5, "EUR") < Money(6, "EUR")
    assert Money(5, "EUR") != Money(5, "XOF")
    assert Money(-5, "EUR").as_decimal_string() == "-0.05"


def test_rounding_is_half_up_away_from_zero():
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("3.5")) == 4
    assert round_half_up(Decimal("2.4999")) == 2
    assert round_half_up(Decimal("-2.5")) == -3


def test_amounts_format_with_the_currency_decimals():
    assert format_amount(5, "EUR") == "0.05"
    assert format_amount(1500, "XOF") == "1500"
    assert format_amount(-1, "TND") == "-0.001"
