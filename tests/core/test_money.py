from decimal import Decimal

import pytest

from comptoir.lib.errors import ComptoirError
from comptoir.lib.money import Money, format_amount, parse_amount, round_half_up


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


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        # French: decimal comma, thousands by spaces, no-break or narrow no-break spaces.
        ("2,50", 250),
        ("1 234,50", 123450),
        ("1\u00a0234,50", 123450),
        ("1\u202f234,50", 123450),
        ("1 234 567,89", 123456789),
        ("1.234,50", 123450),
        ("1.234.567,89", 123456789),
        # English: decimal point, thousands by commas.
        ("2.50", 250),
        ("1,234.50", 123450),
        ("1,234,567.89", 123456789),
        ("1,234,567", 123456700),
        # Swiss: thousands by apostrophes.
        ("1'234.50", 123450),
        ("1\u2019234.50", 123450),
        # One separator repeated groups thousands.
        ("1.234.567", 123456700),
        # Signs and odd but well-formed writings.
        ("-1,234.50", -123450),
        ("+1 234,50", 123450),
        ("1,234.", 123400),
        (",50", 50),
        ("  12,00  ", 1200),
    ],
)
def test_amounts_are_read_in_french_english_and_swiss_writings(text, minor):
    assert parse_amount(text, "EUR") == minor


@pytest.mark.parametrize(
    "text",
    [
        "1,23.50",  # a thousands group of two digits
        "12,34,5",
        "1234,567.89",  # a first group of four digits
        "1.234.5,6,7",  # two decimal separators
        "1,234.56.7",
        "1,,234",
        "1..234",
        ",",
        "-",
        "1e3",  # no exponents: a typo at a till, never an amount
        "1E+3",
        "1_000",
        "\u0661\u0662",  # digits other than 0-9
        "2,50 €",
        "--5",
    ],
)
def test_malformed_separators_are_refused_as_invalid_amounts(text):
    with pytest.raises(ComptoirError, match="Montant invalide"):
        parse_amount(text, "EUR")


def test_a_single_separator_is_always_decimal_so_1_234_is_not_read_as_a_thousand():
    with pytest.raises(ComptoirError, match="au plus 2 décimale"):
        parse_amount("1,234", "EUR")
    assert parse_amount("1,234", "TND") == 1234
    with pytest.raises(ComptoirError, match="au plus 0 décimale"):
        parse_amount("1.500", "XOF")
    assert parse_amount("1 500", "XOF") == 1500
    assert parse_amount("1.500.000", "XOF") == 1_500_000


def _former_parse_amount(text: str, currency: str) -> int:
    """parse_amount before thousands separators were understood (the reference)."""
    value = Decimal(text.strip().replace(",", ".").replace(" ", ""))
    assert value.is_finite()
    scaled = value.scaleb({"EUR": 2, "XOF": 0, "TND": 3}[currency])
    assert scaled == scaled.to_integral_value()
    return int(scaled)


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("2.50", "EUR"),
        ("2,5", "EUR"),
        ("0.05", "EUR"),
        ("-0.05", "EUR"),
        ("-0,05", "EUR"),
        ("+3", "EUR"),
        ("0", "EUR"),
        ("-0", "EUR"),
        ("007,10", "EUR"),
        ("5.", "EUR"),
        (".5", "EUR"),
        (",75", "EUR"),
        (" 19,99 ", "EUR"),
        ("\u00a019,99\t", "EUR"),
        ("1 234.56", "EUR"),
        ("1 234,56", "EUR"),
        ("12 34", "EUR"),
        ("- 5", "EUR"),
        ("150", "XOF"),
        ("1 500", "XOF"),
        ("1.234", "TND"),
        ("1,234", "TND"),
        ("2.500", "EUR"),
        ("1000000000.00", "EUR"),  # the largest amount (core.bounds); beyond is refused
    ],
)
def test_every_amount_accepted_before_keeps_its_value(text, currency):
    assert parse_amount(text, currency) == _former_parse_amount(text, currency)
