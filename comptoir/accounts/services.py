"""Giving an account its store: one store, or every store (a chain manager)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.accounts.models import StaffScope
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.stores.models import Store


def account_store_resolve(*, store: str | None, all_stores: bool) -> Store | None:
    """The store a hub account is given from ``--store NAME`` / ``--all-stores``.

    None means every store. Neither given: the only store when the hub has exactly one,
    otherwise the choice is required (a guess would show one store's documents to
    another store's staff).
    """
    if store and all_stores:
        raise ValidationError(
            _("Indiquez soit un magasin, soit « tous les magasins », pas les deux.")
        )
    if all_stores:
        return None
    if store:
        found = Store.objects.filter(name=store.strip()).first()
        if found is None:
            raise NotFoundError(_("Magasin inconnu : « %(name)s ».") % {"name": store})
        return found
    stores = list(Store.objects.filter(archived=False).order_by("name")[:2])
    if len(stores) == 1:
        return stores[0]
    if not stores:
        raise ValidationError(
            _(
                "Ce serveur n'a encore aucun magasin : indiquez --all-stores, ou créez le "
                "compte après l'enrôlement de la première caisse."
            )
        )
    raise ValidationError(
        _("Ce serveur a plusieurs magasins : indiquez --store NOM ou --all-stores.")
    )


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
