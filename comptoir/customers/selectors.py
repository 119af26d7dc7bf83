"""Reads of customers."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Q, QuerySet

from comptoir.customers.models import Customer
from comptoir.stores.selectors import code_twins


def customer_list(
    *, search: str | None = None, include_archived: bool = False, limit: int | None = None
) -> QuerySet[Customer]:
    """Customers by name; ``search`` matches a part of the code, name, phone or e-mail."""
    qs = Customer.objects.order_by("name", "code", "id")
    if not include_archived:
        qs = qs.filter(archived=False)
    if search:
        text = search.strip()
        qs = qs.filter(
            Q(code__icontains=text)
            | Q(name__icontains=text)
            | Q(phone__icontains=text)
            | Q(email__icontains=text)
        )
    return qs[:limit] if limit else qs


def customer_twins(*, customers: Iterable[Customer]) -> set[UUID]:
    """The ids of the given active customers whose code is also another active customer's:
    twins typed alike on two tills while offline (see ``article_twins``)."""
    return code_twins(Customer, customers)
