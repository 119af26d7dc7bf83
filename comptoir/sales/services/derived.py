"""The stock and statistics a sales document derives: one function per document kind,
called by the local validation (``invoice_validate``, ``credit_note_issue``) and by the
sync apply (``FactSpec.on_apply_many``) alike, with the documents' parts in memory (no
re-read of what was just inserted). Call in the transaction that inserted them.
"""

from __future__ import annotations

from comptoir.sales.models import CreditNoteLine, CreditNoteTax, InvoiceLine, InvoiceTax, Payment
from comptoir.stats.services import (
    credit_note_contributions,
    invoice_contributions,
    stats_record_many,
)
from comptoir.stock.models import StockMovement
from comptoir.stock.services import levels_apply_movements
from comptoir.sync.registry import Applied


def invoices_derive(items: list[Applied]) -> None:
    """Stock levels and statistics of new invoices, each as (invoice, parts by model)."""
    levels_apply_movements([m for _root, parts in items for m in parts.get(StockMovement, [])])
    stats_record_many(
        contribution
        for root, parts in items
        for contribution in invoice_contributions(
            root,
            lines=parts.get(InvoiceLine, []),
            taxes=parts.get(InvoiceTax, []),
            payments=parts.get(Payment, []),
        )
    )


def credit_notes_derive(items: list[Applied]) -> None:
    """Stock levels and statistics of new credit notes, each as (note, parts by model)."""
    levels_apply_movements([m for _root, parts in items for m in parts.get(StockMovement, [])])
    stats_record_many(
        contribution
        for root, parts in items
        for contribution in credit_note_contributions(
            root, lines=parts.get(CreditNoteLine, []), taxes=parts.get(CreditNoteTax, [])
        )
    )
