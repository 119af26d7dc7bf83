"""Giving an account its store: one store, or every store (a chain manager)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.accounts.models import StaffScope
from comptoir.lib.errors import ValidationError
from comptoir.stores.models import Store


def account_store_set(*, user: Any, store: Store | None) -> StaffScope:
    """Bind ``user`` to ``store`` (None: every store). A superuser sees every store: the
    admin, which only superusers enter, lists every store's documents."""
    if store is not None and user.is_superuser:
        raise ValidationError(
            _("Un superutilisateur voit tous les magasins : il ne peut pas être limité à un seul.")
        )
    with transaction.atomic():
        scope, _created = StaffScope.objects.update_or_create(user=user, defaults={"store": store})
    return scope
