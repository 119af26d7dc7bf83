"""Which stores' documents an account sees: the one place that decides it.

- On a till (node role) every account sees the till's store, and only it.
- On the hub a superuser sees every store; any other account sees what its
  :class:`~comptoir.accounts.models.StaffScope` says (one store, or every store). An
  account without one (made outside ``comptoir user``, e.g. in the admin) gets the
  default that the migration gave the accounts that existed before scopes: a manager
  sees every store, a cashier the only store when there is exactly one, else none.

Views read store-bound rows (invoices, credit notes, stock per store, movements, counts,
statistics, tills) through :meth:`StoreScope.restrict`; a document of another store is
a 404, exactly like a number that does not exist, so numbers cannot be probed. Shared
reference data (articles, customers, suppliers, categories) stays visible.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet

from comptoir.accounts.models import StaffScope
from comptoir.lib.errors import NotFoundError
from comptoir.stores.models import Store
from comptoir.stores.selectors import till_current
from comptoir.web.roles import MANAGER, role_of

M = TypeVar("M", bound=Model)

_CACHE = "_comptoir_store_scope"


@dataclass(frozen=True)
class StoreScope:
    """``store_ids`` None: every store; otherwise exactly those (possibly none)."""

    store_ids: frozenset[UUID] | None

    @property
    def every_store(self) -> bool:
        return self.store_ids is None

    @property
    def only(self) -> UUID | None:
        """The store's id when the account sees exactly one store."""
        if self.store_ids is not None and len(self.store_ids) == 1:
            return next(iter(self.store_ids))
        return None

    @property
    def ids(self) -> Collection[UUID] | None:
        """For selectors that take ``store_ids`` (None: no restriction)."""
        return self.store_ids

    def allows(self, store_id: UUID | None) -> bool:
        return self.store_ids is None or store_id in self.store_ids

    def restrict(self, qs: QuerySet[M], field: str = "store") -> QuerySet[M]:
        """``qs`` narrowed to the rows whose ``field`` (a store, or a path to one such as
        ``till__store``) is visible."""
        if self.store_ids is None:
            return qs
        return qs.filter(**{f"{field}__in": self.store_ids})

    def stores(self) -> QuerySet[Store]:
        """The visible active stores, by name (for filters and store columns)."""
        return self.restrict(Store.objects.filter(archived=False), "pk").order_by("name")


def _scope_of(user: Any) -> StoreScope:
    if not user.is_authenticated:
        return StoreScope(frozenset())
    if settings.COMPTOIR_ROLE == "node":
        try:
            return StoreScope(frozenset({till_current().store_id}))
        except NotFoundError:
            return StoreScope(frozenset())
    if user.is_superuser:
        return StoreScope(None)
    row = StaffScope.objects.filter(user=user).first()
    if row is not None:
        return StoreScope(None if row.store_id is None else frozenset({row.store_id}))
    if role_of(user) == MANAGER:
        return StoreScope(None)
    only = list(Store.objects.filter(archived=False).values_list("pk", flat=True)[:2])
    return StoreScope(frozenset(only) if len(only) == 1 else frozenset())


def stores_visible(user: AbstractBaseUser | AnonymousUser) -> StoreScope:
    """The stores ``user`` sees (read once per user object, i.e. once per request)."""
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = _scope_of(user)
        setattr(user, _CACHE, cached)
    return cached
