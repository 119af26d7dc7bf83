"""Reads about this installation's place (its till and store), and twin codes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from comptoir.lib.errors import NotFoundError
from comptoir.stores.models import Store, Till


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


def till_store_id(*, till: Till | None = None, **_arguments: object) -> UUID | None:
    """The store of ``till`` (by default this post's till; None without one): the ordering
    domain of a use case that writes for a till (``sync.capture.store_use_case``, which
    calls this with the use case's arguments)."""
    if till is None:
        try:
            till = till_current()
        except NotFoundError:
            return None
    return till.store_id


def store_current() -> Store:
    return till_current().store


def store_get(*, name: str | None) -> Store:
    if not name:
        return store_current()
    try:
        return Store.objects.get(name=name)
    except Store.DoesNotExist:
        raise NotFoundError(_("Magasin inconnu : « %(name)s ».") % {"name": name}) from None


def code_twins(model: type[models.Model], rows: Iterable[Any]) -> set[UUID]:
    """The ids of the given active rows whose ``code`` is also another active row's: twins
    typed alike on two tills while offline (codes are unique per post, not in the
    database). Archiving one of them settles it."""
    own = {row.pk: row.code for row in rows if not row.archived and row.code}
    holders: dict[str, set[UUID]] = {}
    for pk, code in model._default_manager.filter(
        archived=False, code__in=set(own.values())
    ).values_list("pk", "code"):
        holders.setdefault(code, set()).add(pk)
    return {pk for pk, code in own.items() if holders.get(code, set()) - {pk}}
