"""Concurrency-safe increments of derived rows (stock levels, statistics)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Value

from comptoir.core.fields import QuantityField


def row_add(model: type[models.Model], keys: dict[str, Any], increments: dict[str, Any]) -> None:
    """Add ``increments`` to the row identified by ``keys``, creating it at zero first.

    Insert-if-missing (``ON CONFLICT DO NOTHING``) then ``UPDATE ... SET f = f + x``: two
    transactions adding to the same new row never lose an increment nor fail on the
    unique constraint. Quantities go through :class:`QuantityField` so they stay exact.
    """
    model._default_manager.bulk_create([model(**keys)], ignore_conflicts=True)
    updates = {}
    for field, amount in increments.items():
        value = (
            Value(amount, output_field=QuantityField()) if isinstance(amount, Decimal) else amount
        )
        updates[field] = F(field) + value
    model._default_manager.filter(**keys).update(**updates)
