"""What the core app syncs: stores and tills are reference data, managed on the hub.

A till's store, prefix and post decide what its node may write (``authorize_series``):
a node that could change them could write into another store or series. So nodes may
not create, nor change, stores and tills; they receive them from the hub.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from comptoir.stores.models import Store, Till
from comptoir.sync.registry import register_reference


def hub_only(till: Till, row: Any, names: set[str]) -> str | None:
    return _("Les magasins et les caisses se modifient sur le serveur seulement.")


def register() -> None:
    register_reference(Store, authorize=hub_only)
    register_reference(Till, authorize=hub_only)
