"""Cash facts: a session's opening, each cash movement and its closing are aggregates of
their own, inserted once on every side that holds the store, like invoices. Nothing is
derived from them on arrival: reports are computed from the facts when asked."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from comptoir.cash.models import CashMovement, CashSession, CashSessionClosing
from comptoir.stores.models import Till
from comptoir.sync.registry import register_fact


def authorize_till(till: Till, root: Any) -> str | None:
    """A till writes the cash facts of its own drawer, in its own store, only."""
    if root.till_id != till.pk or root.store_id != till.store_id:
        return _("Ce poste ne peut envoyer que les sessions de caisse de sa propre caisse.")
    return None


def register() -> None:
    for model in (CashSession, CashMovement, CashSessionClosing):
        register_fact(model, store_attname="store_id", authorize=authorize_till)
