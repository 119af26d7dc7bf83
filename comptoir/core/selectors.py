"""Reads about this installation's place: its till and store."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from comptoir.core.errors import NotFoundError
from comptoir.core.models import Store, Till


def till_current() -> Till:
    """The till this installation (node or hub) sells through."""
    till = (
        Till.objects.select_related("store")
        .filter(node_id=settings.COMPTOIR_NODE_ID, archived=False)
        .order_by("created_at")
        .first()
    )
    if till is None:
        raise NotFoundError(
            _("Aucune caisse n'est rattachée à ce poste : lancez « comptoir node init ».")
        )
    return till


def store_current() -> Store:
    return till_current().store


def store_get(*, name: str | None) -> Store:
    if not name:
        return store_current()
    try:
        return Store.objects.get(name=name)
    except Store.DoesNotExist:
        raise NotFoundError(_("Magasin inconnu : « %(name)s ».") % {"name": name}) from None
