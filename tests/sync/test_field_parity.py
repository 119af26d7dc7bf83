"""What a post checks before it writes a synced row accepts exactly what the database
accepts (issue 13.1): run on SQLite (a till, with its bounds triggers) and on PostgreSQL
(``python -m tests.pgcluster run -- pytest tests/sync/test_field_parity.py``: the hub).

Every synced model of the registry, every concrete field, boundary values: a text of
``max_length`` characters and one more (in ASCII and not), NUL, a lone surrogate, the
lowest and highest value of an integer column and one past, a decimal's largest value,
one digit too many and one place too many, the first and last instants and days, NULL,
a dangling foreign key, and each side of the plausibility bounds of quantities and
amounts (``core.bounds``). "The database accepts" means that it stores the value and gives
the same value back (PostgreSQL rounds ``numeric(5, 2)`` silently: that is a refusal). The
post is stricter than the database in one way only, declared on the field: the bounds
(its validators), far inside what a column holds; it never accepts what the database refuses.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError as FieldValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations

from comptoir.cash.services import cash_out, session_close, session_open
from comptoir.catalogue.services import label_rule_create, supplier_create
from comptoir.customers.services import customer_create
from comptoir.lib.bounds import MAX_AMOUNT, MAX_QUANTITY
from comptoir.lib.errors import ValidationError
from comptoir.lib.fields import MoneyField, QuantityField
from comptoir.lib.quantity import QUANTUM, from_thousandths
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    account_settle,
    credit_note_issue,
    invoice_sell,
    payment_method_create,
)
from comptoir.stock.services import stock_count, stock_receive
from comptoir.stores.services import till_create
from comptoir.sync import registry
from comptoir.sync.wire.checks import check_rows
from tests.factories import at, make_article

RANGES = BaseDatabaseOperations.integer_field_ranges


@pytest.fixture
def shop(till: Any) -> None:
    """A row of every synced model, made through the services."""
    supplier_create(code="MOULIN", name="Moulin & fils")
    make_article("PAIN", "1.20", vat="5.5", barcodes=["3017620422003"], category="Boulangerie")
    make_article("FARINE", "2.10", vat="5.5", unit="kg", supplier="MOULIN")
    customer = customer_create(name="Zoé Martin", address="1 rue du Port", credit_limit="20")
    payment_method_create(
        store=till.store, code="wave", name="Wave", kind="mobile", reference_required=True
    )
    stock_receive(article="FARINE", quantity="12.5", supplier="MOULIN", at=at(1, 7))
    stock_count(article="PAIN", quantity=7, at=at(1, 8))
    invoice = invoice_sell(
        lines=[SaleLine("PAIN", 3), SaleLine("FARINE", "1.5")],
        payments=[
            PaymentInput("card", "2"),
            PaymentInput("wave", "4", "TX-1"),
            PaymentInput("cash", "6"),
        ],
        customer=customer,
        at=at(2, 11),
    )
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)], at=at(3))
    invoice_sell(
        lines=[SaleLine("PAIN", 2)],
        payments=[PaymentInput("compte", "2.40")],
        customer=customer,
        at=at(3, 12),
    )
    account_settle(customer=customer, amount="1.50", method="wave", reference="TX-2", at=at(3, 13))
    # Cash: two closed sessions of this till (the last closing followed by none), an open
    # one on a second till, and a third till without any: the unused rows that a copy of
    # a session or closing takes for its unique links (``base_row``).
    session_open(amount="50", till=till, at=at(4, 8))
    cash_out(amount="20", reason="Fournisseur", till=till, at=at(4, 9))
    session_close(counted="30", till=till, at=at(4, 18))
    session_open(amount="30", till=till, at=at(5, 8))
    session_close(counted="30", till=till, at=at(5, 18))
    session_open(amount="0", till=till_create(store=till.store, name="Caisse 2", prefix="C2"))
    till_create(store=till.store, name="Caisse 3", prefix="C3")
    label_rule_create(store=till.store, prefix="21", code_digits=5, value="weight")


def drawn(field: models.Field[Any, Any]) -> list[tuple[str, Any]]:
    """Boundary values of a field, in Python, each with a name for the report."""
    values: list[tuple[str, Any]] = [("NULL", None)]
    if isinstance(field, models.ForeignKey):
        return [*values, ("dangling", uuid.uuid4())]
    if isinstance(field, models.CharField | models.TextField):
        n = field.max_length or 1000
        values += [
            ("empty", ""),
            ("max_length", "x" * n),
            ("max_length accented", "é" * n),
            ("NUL", "a\x00b"),
            ("lone surrogate", "a\ud800b"),
        ]
        if field.max_length:
            values += [("max_length+1", "x" * (n + 1)), ("max_length+1 euro", "€" * (n + 1))]
        return values
    if isinstance(field, models.DecimalField):
        places = field.decimal_places or 0
        whole = (field.max_digits or 0) - places
        largest = Decimal(10**whole) - Decimal(1).scaleb(-places)
        return [
            *values,
            ("largest", largest),
            ("lowest", -largest),
            ("one digit too many", Decimal(10**whole)),
            ("one place too many", Decimal(1).scaleb(-places - 1)),
        ]
    if isinstance(field, QuantityField):
        low, high = RANGES["BigIntegerField"]
        return [
            *values,
            ("lowest", from_thousandths(low)),
            ("highest", from_thousandths(high)),
            ("highest+1", from_thousandths(high) + QUANTUM),
            ("lowest-1", from_thousandths(low) - QUANTUM),
            ("one place too many", QUANTUM / 10),
            ("bound", MAX_QUANTITY),
            ("bound+1", MAX_QUANTITY + QUANTUM),
            ("-bound-1", -MAX_QUANTITY - QUANTUM),
        ]
    if isinstance(field, models.DateTimeField):
        return [
            *values,
            ("first instant", dt.datetime(1, 1, 1, tzinfo=dt.UTC)),
            ("last instant", dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)),
            ("before the first", dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
        ]
    if isinstance(field, models.DateField):
        return [*values, ("first day", dt.date.min), ("last day", dt.date.max)]
    if isinstance(field, models.BooleanField):
        return [*values, ("true", True), ("false", False)]
    if isinstance(field, models.JSONField):
        return [*values, ("object", {"name": "2026"})]
    if isinstance(field, models.UUIDField):
        return [*values, ("new", uuid.uuid4())]
    limits = RANGES.get(field.get_internal_type())
    assert limits is not None, f"no boundary values for {field!r}: add them here"
    low, high = limits
    if isinstance(field, MoneyField):
        values += [
            ("bound", MAX_AMOUNT),
            ("bound+1", MAX_AMOUNT + 1),
            ("-bound-1", -MAX_AMOUNT - 1),
        ]
    return [
        *values,
        ("lowest", low),
        ("highest", high),
        ("lowest-1", low - 1),
        ("highest+1", high + 1),
    ]


def fresh(field: models.Field[Any, Any]) -> Any:
    """A value that no stored row has, for a field under a unique constraint."""
    if isinstance(field, models.CharField):
        return uuid.uuid4().hex[: min(field.max_length or 32, 32)]
    if isinstance(field, models.DecimalField):
        return Decimal("987.65")
    return 2_000_000_000


def base_row(model: type[models.Model]) -> dict[str, Any]:
    """A stored row's values, with a new id and fresh values where they must be unique."""
    stored = model._base_manager.order_by("pk").first()
    assert stored is not None, f"no {model._meta.label} row: add one to the shop fixture"
    row = {f.attname: getattr(stored, f.attname) for f in model._meta.concrete_fields}
    row[model._meta.pk.attname] = uuid.uuid4()
    groups = [[f.name] for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    groups += [
        list(c.fields) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)
    ]
    groups += [list(names) for names in model._meta.unique_together]
    for names in groups:
        fields = list(map(model._meta.get_field, names))
        field = next((f for f in fields if not isinstance(f, models.ForeignKey)), None)
        if field is not None:
            row[field.attname] = fresh(field)  # type: ignore[arg-type]
        else:  # links only (a one-to-one, a till's first session): a row no copy links to
            link: Any = fields[0]
            used = model._base_manager.exclude(**{link.attname: None}).values(link.attname)
            unused = link.related_model._base_manager.exclude(pk__in=used).order_by("pk")
            assert unused.exists(), f"{model._meta.label}: add an unused {link.name} to the shop"
            row[link.attname] = unused.values_list("pk", flat=True).first()
    return row


def plausible(field: models.Field[Any, Any], value: Any) -> bool:
    """The field's range validators (the bounds of ``core.bounds``) pass."""
    bounds = [v for v in field.validators if isinstance(v, MinValueValidator | MaxValueValidator)]
    try:
        for validator in bounds if value is not None else []:
            validator(value)
    except FieldValidationError:
        return False
    return True


def post_accepts(model: type[models.Model], row: dict[str, Any]) -> bool:
    try:
        check_rows(model, [model(**row)])
    except ValidationError:
        return False
    return True


class _Undo(Exception):
    pass


def database_accepts(model: type[models.Model], row: dict[str, Any], attname: str) -> bool:
    """True if the database stores the row, foreign keys checked, and gives the value back."""
    fields = model._meta.concrete_fields
    obj = model(**row)
    read: list[Any] = []
    try:
        with transaction.atomic():
            model._base_manager._insert([obj], fields=fields)  # type: ignore[attr-defined]
            connection.check_constraints(table_names=[model._meta.db_table])
            read.extend(model._base_manager.filter(pk=obj.pk).values_list(attname, flat=True))
            raise _Undo
    except _Undo:
        pass
    except Exception:  # any refusal: the driver's or the database's
        return False
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return read == [row[attname]]


@pytest.mark.django_db
def test_the_post_accepts_exactly_what_the_database_accepts(shop: None) -> None:
    specs = [*registry.references(), *registry.facts()]
    assert len(specs) >= 15
    differences = []
    tried = refused = beyond_bounds = 0
    for spec in specs:
        model = spec.model
        base = base_row(model)
        assert post_accepts(model, base), spec.label
        assert database_accepts(model, base, "id"), spec.label
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            for name, value in drawn(field):
                row = {**base, field.attname: value}
                post = post_accepts(model, row)
                database = database_accepts(model, row, field.attname)
                bounded = plausible(field, value)
                tried += 1
                refused += not database
                beyond_bounds += database and not bounded
                if post != (database and bounded):
                    differences.append(
                        f"{spec.label}.{field.attname} {name}: post "
                        f"{'accepts' if post else 'refuses'}, {connection.vendor} "
                        f"{'accepts' if database else 'refuses'}, bounds "
                        f"{'pass' if bounded else 'refuse'}"
                    )
    assert differences == []
    assert tried > 800  # the walk did walk...
    assert refused > 300  # ...and found limits
    assert beyond_bounds > 20  # ...and the bounds, inside them
