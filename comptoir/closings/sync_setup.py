"""Closings are facts of their till: each one an aggregate of its own, inserted once on
every side that holds the store (the hub shows every post's). Nothing is derived from
them on arrival."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from comptoir.closings.models import Closing
from comptoir.stores.models import Till
from comptoir.sync.registry import register_fact


def authorize_till(till: Till, root: Any) -> str | None:
    """A till sends the closings of its own periods, in its own store, only."""
    if root.till_id != till.pk or root.store_id != till.store_id:
        return _("Ce poste ne peut envoyer que les clôtures de sa propre caisse.")
    return None


def register() -> None:
    register_fact(Closing, store_attname="store_id", authorize=authorize_till)
