"""Model fields for exact values, stored as integers so both SQLite and PostgreSQL sum exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.expressions import Combinable

from comptoir.lib.bounds import MAX_AMOUNT, MAX_QUANTITY
from comptoir.lib.quantity import QUANTUM, from_thousandths, to_thousandths

if TYPE_CHECKING:
    _QuantityBase = models.Field[Decimal | int | Combinable, Decimal]
else:
    _QuantityBase = models.Field


class QuantityField(_QuantityBase):
    """A ``Decimal`` with three decimals, stored as integer thousandths.

    SQLite has no exact decimal type; integers sum exactly on both databases, so
    ``Sum("quantity")`` is exact everywhere (its result passes through ``from_db_value``).
    """

    description = "Exact quantity (Decimal, 3 decimals, stored as thousandths)"
    # The plausibility bounds of one fact's quantity (``core.bounds``), checked by the
    # sync apply on every received row. Class-level, so not part of migrations. Derived
    # tables (sums) use this field too: they are never validated nor sent.
    default_validators = [MinValueValidator(-MAX_QUANTITY), MaxValueValidator(MAX_QUANTITY)]

    def get_internal_type(self) -> str:
        return "BigIntegerField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return from_thousandths(int(value))

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise TypeError("quantities are never floats")
        return Decimal(str(value)).quantize(QUANTUM)

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        if isinstance(value, float):
            raise TypeError("quantities are never floats")
        return to_thousandths(Decimal(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        return value


class MoneyField(models.BigIntegerField):
    """An amount in minor units of the business currency (cents for EUR)."""

    description = "Amount in minor units of the business currency"
    # As for ``QuantityField``: the bounds of one fact's amount (``core.bounds``).
    default_validators = [MinValueValidator(-MAX_AMOUNT), MaxValueValidator(MAX_AMOUNT)]
