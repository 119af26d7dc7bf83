"""The canonical serialization: frozen bytes per version, exact values, nothing ambiguous."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from comptoir.fiscal.canonical import (
    GENESIS,
    hash_plain,
    normalize,
    payload,
    plain_values,
    record_hash,
)
from comptoir.fiscal.schemas import SCHEMAS
from comptoir.lib.chain import chain_hash
from comptoir.lib.money import Money
from tests.fiscal.samples import invoice, sample


def test_version_2_bytes_are_frozen() -> None:
    """Records hashed with version 2 must verify forever: a change here is a new version."""
    data = payload("invoice", normalize("invoice", invoice()), GENESIS)
    assert (
        data
        == (
            '{"kind":"invoice","previous":"","v":2,"values":{'
            '"cashier":"Léa","currency":"EUR","customer":null,'
            '"id":"00000000-0000-0000-0000-000000000001","instant":"2026-03-29T01:31:15.123456Z",'
            '"lines":[{"article_code":"A1","discount_rate":"0","label":"Café moulu 250 g",'
            '"quantity":"2","total_incl_vat":"9.00","unit_price":"4.50","vat_rate":"5.5"}],'
            '"number":"C1-2026-000001","payments":[{"amount":"9.00","method":"cash"}],'
            '"post_id":"01900000-0000-7000-8000-000000000001","post_prefix":"C1",'
            '"store_name":"Épicerie du Port","total_excl_vat":"8.53","total_incl_vat":"9.00",'
            '"total_vat":"0.47","vat":[{"base":"8.53","incl":"9.00","rate":"5.5","vat":"0.47"}]}}'
        ).encode()
    )


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_kind_has_a_schema_its_sample_meets_and_names_its_post(kind: str) -> None:
    plain = normalize(kind, sample(kind))
    assert {"id", "post_id", "post_prefix", "store_name"} <= set(plain)
    json.dumps(plain)  # plain JSON
    assert hash_plain(2, kind, plain, GENESIS) == record_hash(2, kind, sample(kind), GENESIS)


def test_amounts_are_decimal_strings_with_the_currency_exponent() -> None:
    assert normalize("invoice", invoice(currency="XOF"))["total_incl_vat"] == "900"
    assert normalize("invoice", invoice(currency="EUR"))["total_incl_vat"] == "9.00"
    values = {**invoice(), "total_incl_vat": Money(900, "EUR")}
    assert normalize("invoice", values)["total_incl_vat"] == "9.00"
    with pytest.raises(ValueError, match="XOF"):
        normalize("invoice", {**invoice(), "total_incl_vat": Money(900, "XOF")})


def test_instants_are_utc_to_the_microsecond_whatever_zone_they_carry() -> None:
    utc = invoice()["instant"].astimezone(dt.UTC)
    paris = normalize("invoice", invoice())
    assert normalize("invoice", {**invoice(), "instant": utc}) == paris
    assert paris["instant"] == "2026-03-29T01:31:15.123456Z"
    whole_second = {**invoice(), "instant": utc.replace(microsecond=0)}
    assert normalize("invoice", whole_second)["instant"] == "2026-03-29T01:31:15.000000Z"
    with pytest.raises(ValueError, match="naive"):
        normalize("invoice", {**invoice(), "instant": utc.replace(tzinfo=None)})


def test_a_quantity_hashes_the_same_whatever_its_stored_scale() -> None:
    """The database gives back Decimal('2.000') for the 2 that was typed."""
    typed = invoice()
    stored = invoice()
    typed["lines"][0]["quantity"] = Decimal("2")
    stored["lines"][0]["quantity"] = Decimal("2.000")
    assert record_hash(2, "invoice", typed, GENESIS) == record_hash(2, "invoice", stored, GENESIS)
    stored["lines"][0]["quantity"] = Decimal("100")
    assert normalize("invoice", stored)["lines"][0]["quantity"] == "100"  # not 1E+2


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("total_incl_vat", 9.0),
        ("lines.quantity", 2.0),
        ("lines.unit_price", 4.5),
        ("customer", 1.5),
        ("payments.amount", 9.0),
    ],
)
def test_a_float_anywhere_is_refused(where: str, value: float) -> None:
    values: dict[str, Any] = invoice()
    if "." in where:
        rows, name = where.split(".")
        values[rows][0][name] = value
    else:
        values[where] = value
    with pytest.raises(TypeError):
        normalize("invoice", values)


def test_a_float_in_an_event_s_free_details_is_refused() -> None:
    with pytest.raises(TypeError):
        normalize("event", {**sample("event"), "details": {"drift": [0.5]}})


def test_none_is_written_out_and_refused_where_a_value_is_required() -> None:
    assert normalize("invoice", invoice())["customer"] is None
    assert '"customer":null' in payload("invoice", normalize("invoice", invoice()), "").decode()
    with pytest.raises(ValueError, match="cashier"):
        normalize("invoice", {**invoice(), "cashier": None})


def test_a_missing_or_unknown_key_is_refused_at_every_level() -> None:
    values = invoice()
    del values["cashier"]
    with pytest.raises(ValueError, match="cashier"):
        normalize("invoice", values)
    with pytest.raises(ValueError, match="cost"):
        normalize("invoice", {**invoice(), "cost": 12})
    nested = invoice()
    del nested["lines"][0]["vat_rate"]
    with pytest.raises(ValueError, match="vat_rate"):
        normalize("invoice", nested)
    with pytest.raises(ValueError, match="unknown fiscal record kind"):
        normalize("receipt", invoice())


def test_the_kind_the_previous_hash_and_every_value_are_covered() -> None:
    base = record_hash(2, "invoice", invoice(), GENESIS)
    note = {**invoice(), "invoice_number": "C1-2026-000001"}
    assert record_hash(2, "credit_note", note, GENESIS) != base
    assert record_hash(2, "invoice", invoice(), "00" * 32) != base
    for name in ("store_name", "cashier", "post_prefix", "number"):
        assert record_hash(2, "invoice", {**invoice(), name: "autre"}, GENESIS) != base
    changed = invoice()
    changed["lines"][0]["vat_rate"] = Decimal("20")
    assert record_hash(2, "invoice", changed, GENESIS) != base


def test_version_1_is_the_chain_hash_records_were_made_with() -> None:
    legacy = {
        "kind": "invoice",
        "number": "C1-2025-000001",
        "store": "Ancien nom",
        "lines": [["A1", "2", 450, "0", 900]],
        "validated_at": "2025-12-31T10:00:00+00:00",
    }
    assert record_hash(1, "invoice", legacy, "ab" * 32) == chain_hash("ab" * 32, legacy)
    plain = plain_values(1, "invoice", {**legacy, "rate": Decimal("5.5")})
    assert hash_plain(1, "invoice", plain, GENESIS) == chain_hash(
        GENESIS, {**legacy, "rate": Decimal("5.5")}
    )


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        record_hash(3, "invoice", invoice(), GENESIS)
