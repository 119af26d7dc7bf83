"""The shortcuts that read and write the commonest values give what Django's own path does.

``wire.values._reader`` reads a UUID's text, a plain integer or a text without the field's
generic conversion; ``apply.inserts._as_is`` writes aware instants to SQLite without it;
``wire.rows._wire_rows`` turns what the driver returns into wire values in one step. Each is
checked against the path it replaces: every synced field, generated or real values.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, models
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.catalogue.services import supplier_create
from comptoir.customers.services import customer_create
from comptoir.lib.errors import ValidationError
from comptoir.sales.models import Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stock.services import stock_count, stock_receive
from comptoir.sync import inserts, registry, wire
from comptoir.sync.wire import rows as stored
from comptoir.sync.wire import values
from tests.factories import at, make_article

FIELDS = [
    field
    for spec in [*registry.references(), *registry.facts()]
    for field in spec.model._meta.concrete_fields
]
SHORTCUTS = [f for f in FIELDS if values._reader(f) is not None]

raws = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1]),
    st.text(max_size=300),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=True).map(str),
    st.sampled_from(["1.005", "12.50", "-0", "1e3", "1E-2", "1_000", " 7 ", "Infinity", "9" * 40]),
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda m: m.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2026-11-25T10:00:00Z",
            "2026-11-25 10:00",
            "2026-11-25T10:00:00+05:30",
            "20261125",
            "2026-W48-3",
            "2026-02-30",
            "t",
            "True",
            "1",
        ]
    ),
)


def _general(field: models.Field[Any, Any], raw: Any) -> tuple[str, Any]:
    try:
        return "value", values._field_from_wire(field, field.attname, raw)
    except ValidationError as exc:
        return "refused", exc.message


def test_the_shortcuts_cover_ids_amounts_instants_and_texts() -> None:
    kinds = {type(f).__name__ for f in SHORTCUTS}
    assert {"UUIDField", "ForeignKey", "CharField", "MoneyField", "DateTimeField"} <= kinds
    assert {"DateField", "BooleanField"} <= kinds
    assert any(isinstance(f, models.IntegerField) for f in SHORTCUTS)
    # a field with its own conversion keeps it (quantities are stored as thousandths)
    assert not any(type(f).__name__ == "QuantityField" for f in SHORTCUTS)


@pytest.mark.parametrize("field", SHORTCUTS, ids=lambda f: f"{f.model._meta.label}.{f.attname}")
@settings(max_examples=60, deadline=None)
@given(raw=raws)
def test_a_shortcut_reads_what_the_general_path_reads(field: Any, raw: Any) -> None:
    read = values._reader(field)
    assert read is not None
    fast = read(raw)
    if fast is values._SLOW:
        return  # the general path decides
    assert _general(field, raw) == ("value", fast)
    assert type(fast) is type(values._field_from_wire(field, field.attname, raw))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite shortcut")
@settings(max_examples=200, deadline=None)
@given(
    # hypothesis bounds are naive; the values are made aware in UTC
    moment=st.datetimes(
        min_value=dt.datetime(1, 1, 2),  # noqa: DTZ001
        max_value=dt.datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
    zone=st.sampled_from(["Europe/Paris", "America/St_Johns", "Asia/Kolkata", "UTC"]),
)
@pytest.mark.django_db
def test_an_instant_goes_to_sqlite_as_django_writes_it(moment: dt.datetime, zone: str) -> None:
    field = models.DateTimeField()
    aware = moment.astimezone(ZoneInfo(zone)) if 1 < moment.year < 9999 else moment
    convert = inserts._as_is(field, "sqlite", "UTC")[dt.datetime]
    assert convert(aware) == field.get_db_prep_save(aware, connection)


def test_no_instant_shortcut_when_sqlite_keeps_another_zone() -> None:
    assert dt.datetime not in inserts._as_is(models.DateTimeField(), "sqlite", "Europe/Paris")


def test_a_foreign_key_shortcut_gives_a_uuid() -> None:
    field = next(f for f in SHORTCUTS if isinstance(f, models.ForeignKey))
    value = uuid.uuid4()
    read = values._reader(field)
    assert read is not None
    assert read(str(value)) == value
    assert read("not a uuid") is values._SLOW


def _read_by_the_orm(model: type[models.Model], attnames: tuple[str, ...]) -> list[Any]:
    """What ``wire.rows._wire_rows`` stands for: the ORM's values, then ``to_wire``."""
    names = ("id", *attnames)
    return [
        {name: wire.to_wire(value) for name, value in zip(names, values, strict=True)}
        for values in model._default_manager.order_by("pk").values_list(*names)
    ]


@pytest.fixture
def varied_shop(till: Any) -> None:
    """A shop with a row of every synced model, and most of their kinds of values."""
    make_article("PAIN", "1.20", vat="5.5", cost="0.40")
    make_article("VIN", "8.90", vat="20", cost="4.00")
    make_article("FARINE", "2.10", vat="5.5", cost="0.90", unit="kg")
    supplier_create(code="MOULIN", name="Moulin & fils — « bio »")
    customer = customer_create(name="Zoé Ñandú", email="zoe@example.fr")
    stock_receive(article="FARINE", quantity="12.5", supplier="MOULIN", at=at(1, 7))
    stock_count(article="VIN", quantity=7, at=dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC))
    invoice = invoice_sell(
        lines=[SaleLine("PAIN", 3), SaleLine("VIN", 1)],
        payments=[PaymentInput("card", "5"), PaymentInput("cash", "10")],
        customer=customer,
        at=at(2, 11),
    )
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)], at=at(3))


@pytest.mark.django_db
def test_rows_are_read_for_the_wire_as_the_orm_reads_them(varied_shop: None) -> None:
    read = 0
    for spec in [*registry.references(), *registry.facts()]:
        rows = list(stored._wire_rows(spec.model, spec.fields))
        assert rows == _read_by_the_orm(spec.model, spec.fields), spec.label
        read += len(rows)
    assert read > 20
    assert list(stored._wire_rows(Invoice, ("number",), pk__in=[])) == []


@pytest.mark.django_db
def test_values_are_written_as_django_writes_them(varied_shop: None) -> None:
    """``inserts._prepared`` (its shortcuts, or the field's own path) gives what
    ``bulk_create`` would send, for every column of every synced row, on this database."""
    db = connection
    compared = 0
    for spec in [*registry.references(), *registry.facts()]:
        fields = list(spec.model._meta.concrete_fields)
        for obj in spec.model._default_manager.all():
            for field in fields:
                kinds = inserts._as_is(field, db.vendor, db.timezone_name)
                value = getattr(obj, field.attname)
                fast = inserts._prepared(field, value, kinds, db)
                django = field.get_db_prep_save(value, db)
                if type(django).__name__ in ("Int2", "Int4", "Int8"):  # psycopg's typed ints
                    django = int(django)  # (what COPY reads of them is the int's text)
                assert type(fast) is type(django), (spec.label, field.attname)
                # psycopg's Jsonb wrapper compares by identity: compare what it wraps
                assert getattr(fast, "obj", fast) == getattr(django, "obj", django), (
                    spec.label,
                    field.attname,
                )
                compared += 1
    assert compared > 200
