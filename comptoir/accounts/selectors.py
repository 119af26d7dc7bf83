"""Reads of accounts: which store a hub account is given."""

from __future__ import annotations

from django.utils.translation import gettext as _

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
