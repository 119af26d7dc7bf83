"""Technical events are facts of their till, inserted once on every side that holds its
store (the hub keeps every post's log). Nothing is derived from them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.events.models import TechnicalEvent
from comptoir.stores.models import Till
from comptoir.sync.registry import register_fact, register_naming


def authorize_till(till: Till, root: Any) -> str | None:
    """A till sends the events of its own log, in its own store, only."""
    if root.till_id != till.pk or root.store_id != till.store_id:
        return _("Ce poste ne peut envoyer que les événements techniques de sa propre caisse.")
    return None


def register() -> None:
    register_naming(
        TechnicalEvent,
        lambda n: ngettext("%(n)d événement technique", "%(n)d événements techniques", n),
        rank=90,
    )
    register_fact(TechnicalEvent, store_attname="store_id", authorize=authorize_till)
