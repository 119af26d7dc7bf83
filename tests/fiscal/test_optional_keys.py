"""Keys added to a frozen schema are optional: a record without them hashes as before."""

from __future__ import annotations

import pytest

from comptoir.fiscal.canonical import GENESIS, normalize, payload
from tests.fiscal.samples import invoice


def test_a_record_without_the_optional_keys_gives_the_bytes_it_gave_before() -> None:
    plain = normalize("invoice", invoice())
    assert "discount" not in plain
    assert "basket_discount" not in plain["lines"][0]
    assert b"discount_amount" not in payload("invoice", plain, GENESIS)


def test_a_basket_discount_is_hashed_where_there_is_one() -> None:
    values = invoice()
    values["lines"][0]["basket_discount"] = 45
    values["discount"] = "5%"
    values["discount_amount"] = 45
    plain = normalize("invoice", values)
    assert (plain["discount"], plain["discount_amount"]) == ("5%", "0.45")
    assert plain["lines"][0]["basket_discount"] == "0.45"
    assert payload("invoice", plain, GENESIS) != payload(
        "invoice", normalize("invoice", invoice()), GENESIS
    )


def test_an_optional_key_is_absent_or_a_value_never_null() -> None:
    with pytest.raises(ValueError, match="discount"):
        normalize("invoice", {**invoice(), "discount": None})
    with pytest.raises(ValueError, match="unknown keys"):
        normalize("session_open", {"discount": "5%"})
