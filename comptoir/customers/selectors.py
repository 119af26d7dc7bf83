"""Reads of customers: one by code or id, lists, twins."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from comptoir.customers.models import Customer
from comptoir.lib.errors import NotFoundError
from comptoir.stores.selectors import code_twins


def customer_get(*, ref: str) -> Customer:
    """A customer by code, or by id (UUID).

    Codes are unique per post, not in the database (see ``Customer``): of twins, the
    active one first, then the oldest, so that every post picks the same.
    """
    customer = Customer.objects.filter(code=ref).order_by("archived", "id").first()
    if customer is None:
        try:
            customer = Customer.objects.filter(pk=ref).first()
        except Exception:  # not a UUID
            customer = None
    if customer is None:
        raise NotFoundError(_("Client inconnu : « %(ref)s ».") % {"ref": ref})
    return customer


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
