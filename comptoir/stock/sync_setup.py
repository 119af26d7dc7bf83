"""Stock facts: movements and counts, scoped to their store; levels are derived on arrival.

A movement made by a sale or a return travels inside its invoice or credit note; the
others (receipts, losses, transfers) are aggregates of their own.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.stock.models import InventoryCount, StockLevel, StockMovement
from comptoir.stock.services import levels_apply_counts, levels_apply_movements
from comptoir.stores.models import Till
from comptoir.sync.registry import (
    Applied,
    Root,
    register_derivation,
    register_derived,
    register_fact,
    register_naming,
)


def _movement_root(movement: StockMovement) -> Root | None:
    if movement.invoice_id is not None:
        return "sales.invoice", movement.invoice_id
    if movement.credit_note_id is not None:
        return "sales.creditnote", movement.credit_note_id
    return None


def _movements_arrived(items: list[Applied]) -> None:
    levels_apply_movements([root for root, _parts in items])


def _document_movements(items: list[Applied]) -> None:
    """The levels a sales document's movements change (its parts, in memory)."""
    levels_apply_movements([m for _root, parts in items for m in parts.get(StockMovement, [])])


def _counts_arrived(items: list[Applied]) -> None:
    levels_apply_counts([root for root, _parts in items])


def authorize_store(till: Till, root: Any) -> str | None:
    if root.store_id != till.store_id:
        return _("Ce poste n'écrit que dans le stock de son magasin.")
    return None


def register() -> None:
    register_naming(
        StockMovement,
        lambda n: ngettext("%(n)d mouvement de stock", "%(n)d mouvements de stock", n),
        rank=30,
        counted_in_parts=True,
    )
    register_naming(
        InventoryCount,
        lambda n: ngettext("%(n)d inventaire", "%(n)d inventaires", n),
        rank=40,
    )
    register_fact(
        StockMovement,
        part_of=_movement_root,
        store_attname="store_id",
        on_apply_many=_movements_arrived,
        authorize=authorize_store,
    )
    register_fact(
        InventoryCount,
        store_attname="store_id",
        on_apply_many=_counts_arrived,
        batchable=False,
        authorize=authorize_store,
    )
    register_derivation("sales.invoice", _document_movements)
    register_derivation("sales.creditnote", _document_movements)
    register_derived(StockLevel, key=("article_id",), values=("quantity", "count_at", "count_id"))
